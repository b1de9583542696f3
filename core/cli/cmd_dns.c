/*
 * dnsacme present / cleanup: one plugin call for one value, so the plugins
 * can serve as DNS hooks of other ACME clients (certbot's manual hooks as
 * they are, lego's exec provider); present returns once every nameserver of
 * the zone has the value.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* One value to publish or remove, and where: under the challenge name of a
 * domain, or at a record name as given (lego's FQDN, acme.sh's fulldomain). */
struct hook_value {
	const char *name;
	int is_record_name;
	char *value;
};

/* Where the record lives, and its zone when discovery works (*zone NULL, and
 * *zone_err why, when not: the plugin can find its zone itself). */
static enum da_code locate(struct da_session *session, const struct hook_value *v, char **fqdn,
			   const struct da_dns_zone **zone, struct da_err *zone_err,
			   struct da_err *err)
{
	char *start = NULL;
	enum da_code rc;

	*zone = NULL;
	rc = v->is_record_name ? da_dns_name_normalize(v->name, &start, err)
			       : da_dns_challenge_name(v->name, &start, err);
	if (rc != DA_OK)
		return rc;
	if (da_dns_follow_cname(session->dns, start, fqdn, zone_err) != DA_OK) {
		da_logf(&session->log, DNSACME_LOG_WARN, "%s; using %s as it is", zone_err->msg,
			start);
		*fqdn = start;
		return DA_OK;
	}
	free(start);
	if (da_dns_find_zone(session->dns, *fqdn, zone, zone_err) != DA_OK)
		*zone = NULL;
	return DA_OK;
}

/* The value of a triple's third word: lego's RAW mode passes the key
 * authorization (TOKEN "." thumbprint, RFC 8555 8.1), whose digest is the
 * TXT value (8.4); dehydrated passes the TXT value itself. */
static enum da_code triple_value(const char *token, const char *third, char **value,
				 struct da_err *err)
{
	size_t n = strlen(token);

	if (n > 0 && strncmp(third, token, n) == 0 && third[n] == '.')
		return da_crypto_dns01_txt_value(token, third + n + 1, value, err);
	*value = strdup(third);
	return *value ? DA_OK : da_err_set(err, DA_ERR_NOMEM, "out of memory");
}

#define OTHER_SHAPES                                                                           \
	"or positional FQDN VALUE (lego, acme.sh), or DOMAIN TOKEN KEY_AUTH|VALUE triples "     \
	"(lego's RAW mode, dehydrated)"
#define SHAPES "give -d NAME --value TXT (or certbot's CERTBOT_DOMAIN and CERTBOT_VALIDATION), " \
	OTHER_SHAPES

/* The values the call is about, in *out[0..*n) (free each value, then the
 * array), from the shapes other clients call a hook with. */
static enum da_code hook_values(const struct cli_settings *s, struct hook_value **out, size_t *n,
				struct da_err *err)
{
	const char *const *args = s->sources.args;
	size_t n_args = s->sources.n_args;
	const char *domain = s->domains.n == 1 ? s->domains.items[0] : getenv("CERTBOT_DOMAIN");
	const char *value = s->value != NULL ? s->value : getenv("CERTBOT_VALIDATION");
	struct hook_value *v;
	enum da_code rc = DA_OK;

	*out = NULL;
	*n = n_args == 0 ? 1 : n_args == 2 ? 1 : n_args / 3;
	if (n_args != 0 && (s->domains.n != 0 || s->value != NULL))
		return da_err_set(err, DA_ERR_USAGE,
				  "-d and --value do not go with positional arguments: " SHAPES);
	if (n_args == 0 && (s->domains.n > 1 || domain == NULL || *domain == '\0'))
		return da_err_set(err, DA_ERR_USAGE,
				  "exactly one -d NAME is required (or CERTBOT_DOMAIN), "
				  OTHER_SHAPES);
	if (n_args == 0 && (value == NULL || *value == '\0'))
		return da_err_set(err, DA_ERR_USAGE,
				  "--value TXT is required (or CERTBOT_VALIDATION), " OTHER_SHAPES);
	if (n_args != 0 && n_args != 2 && n_args % 3 != 0)
		return da_err_set(err, DA_ERR_USAGE, "%zu arguments: " SHAPES, n_args);
	v = calloc(*n, sizeof(*v));
	if (v == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	*out = v;
	if (n_args == 0) {
		v[0].name = domain;
		v[0].value = strdup(value);
	} else if (n_args == 2) {
		v[0].name = args[0];
		v[0].is_record_name = 1;
		v[0].value = strdup(args[1]);
	}
	for (size_t i = 0; i < *n && rc == DA_OK; i++) {
		if (n_args > 2) {
			v[i].name = args[3 * i];
			rc = triple_value(args[3 * i + 1], args[3 * i + 2], &v[i].value, err);
		} else if (v[i].value == NULL) {
			rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		}
		if (rc == DA_OK && *v[i].value == '\0')
			rc = da_err_set(err, DA_ERR_USAGE, "an empty TXT value for %s", v[i].name);
		if (rc == DA_OK && v[i].is_record_name)
			rc = da_dns_record_name_check(v[i].name, err);
	}
	return rc;
}

/* Publish, have the provider commit, and (unless --no-wait) see every value
 * on every address of its zone: a caller that asks the CA next (certbot
 * checks nothing) does not race the secondaries. */
static enum da_code present(struct da_session *session, const struct cli_settings *s,
			    const struct dnsacme_record *records, const struct da_dns_check *checks,
			    size_t n, struct da_err *err)
{
	enum da_code rc = da_plugin_present(session->plugin, records, n, err);

	if (rc == DA_OK)
		rc = da_plugin_wait(session->plugin, err);
	if (rc == DA_OK && !s->no_wait)
		rc = da_dns_propagation_wait(session->dns, checks, n, s->propagation_timeout, NULL,
					     NULL, err);
	return rc;
}

/* Locate every value, then publish (or remove) them in one batch. */
static enum da_code publish(struct da_session *session, const struct cli_settings *s,
			    const struct hook_value *v, size_t n, char **fqdns,
			    struct da_err *err)
{
	struct dnsacme_record *records = calloc(n, sizeof(*records));
	struct da_dns_check *checks = calloc(n, sizeof(*checks));
	int waits = s->command == CMD_PRESENT && !s->no_wait;
	enum da_code rc = DA_OK;

	if (records == NULL || checks == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");

	for (size_t i = 0; rc == DA_OK && i < n; i++) {
		const struct da_dns_zone *zone = NULL;
		struct da_err zone_err = {0};

		rc = locate(session, &v[i], &fqdns[i], &zone, &zone_err, err);
		/* Refused before publishing: nothing is left for the caller to clean. */
		if (rc == DA_OK && zone == NULL && waits)
			rc = da_err_set(err, DA_ERR_DNS,
					"%s: so the nameservers cannot be checked (--no-wait "
					"publishes without checking)",
					zone_err.msg);
		else if (rc == DA_OK && zone == NULL)
			da_logf(&session->log, DNSACME_LOG_WARN,
				"%s; the plugin finds the zone itself", zone_err.msg);
		records[i] = (struct dnsacme_record){
			.fqdn = fqdns[i], .zone = zone ? zone->name : NULL, .value = v[i].value};
		checks[i] = (struct da_dns_check){fqdns[i], v[i].value, zone};
	}
	if (rc == DA_OK)
		rc = s->command == CMD_PRESENT
			     ? present(session, s, records, checks, n, err)
			     : da_plugin_cleanup(session->plugin, records, n, err);
	for (size_t i = 0; rc == DA_OK && i < n; i++)
		da_logf(&session->log, DNSACME_LOG_INFO, "%s TXT %s at %s",
			s->command == CMD_PRESENT ? "published" : "removed", v[i].value, fqdns[i]);
	free(checks);
	free(records);
	return rc;
}

int cmd_dns(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_session_config cfg = cli_session_config(s);
	struct da_session session;
	struct da_err err = {0};
	struct hook_value *values = NULL;
	char **fqdns = NULL;
	size_t n = 0;
	int waits = s->command == CMD_PRESENT && !s->no_wait;
	enum da_code rc;

	rc = da_session_init(&session, &cfg, stop, &err);
	if (rc == DA_OK)
		rc = hook_values(s, &values, &n, &err);
	if (rc == DA_OK && waits &&
	    (s->propagation_timeout < 1 || s->propagation_timeout > CLI_MAX_PROPAGATION_TIMEOUT))
		rc = da_err_set(&err, DA_ERR_USAGE,
				"--propagation-timeout must be 1 to %d seconds (--no-wait does not "
				"wait at all)",
				CLI_MAX_PROPAGATION_TIMEOUT);
	if (rc == DA_OK && (fqdns = calloc(n, sizeof(*fqdns))) == NULL)
		rc = da_err_set(&err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK)
		rc = da_session_open_dns(&session, &err);
	if (rc == DA_OK)
		rc = da_session_open_plugin(&session, &err);
	if (rc == DA_OK)
		rc = publish(&session, s, values, n, fqdns, &err);

	int status = rc == DA_OK ? CLI_EXIT_OK : cli_fail(&session.log, &err);

	for (size_t i = 0; i < n; i++) {
		free(values ? values[i].value : NULL);
		free(fqdns ? fqdns[i] : NULL);
	}
	free(fqdns);
	free(values);
	da_session_free(&session);
	return status;
}
