/*
 * dnsacme present / cleanup: one plugin call for one value, so the plugins
 * can serve as DNS hooks of other ACME clients (certbot's manual hooks as
 * they are, lego's exec provider); present returns once every nameserver of
 * the zone has the value.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Where the record lives, and its zone when discovery works (*zone NULL, and
 * *zone_err why, when not: the plugin can find its zone itself). */
static enum da_code locate(struct da_session *session, const char *domain, char **fqdn,
			   const struct da_dns_zone **zone, struct da_err *zone_err,
			   struct da_err *err)
{
	char *challenge_name = NULL;
	enum da_code rc;

	*zone = NULL;
	rc = da_dns_challenge_name(domain, &challenge_name, err);
	if (rc != DA_OK)
		return rc;
	if (da_dns_follow_cname(session->dns, challenge_name, fqdn, zone_err) != DA_OK) {
		da_logf(&session->log, DNSACME_LOG_WARN, "%s; using %s as it is", zone_err->msg,
			challenge_name);
		*fqdn = challenge_name;
		return DA_OK;
	}
	free(challenge_name);
	if (da_dns_find_zone(session->dns, *fqdn, zone, zone_err) != DA_OK)
		*zone = NULL;
	return DA_OK;
}

/* -d and --value, else what certbot's manual hooks are given. */
static void what_and_where(const struct cli_settings *s, const char **domain, const char **value)
{
	*domain = s->domains.n == 1 ? s->domains.items[0]
		  : s->domains.n == 0 ? getenv("CERTBOT_DOMAIN")
				      : NULL;
	*value = s->value != NULL ? s->value : getenv("CERTBOT_VALIDATION");
}

/* Publish, have the provider commit, and (unless --no-wait) see the value on
 * every address of the zone: a caller that asks the CA next (certbot checks
 * nothing) does not race the secondaries. */
static enum da_code present(struct da_session *session, const struct cli_settings *s,
			    const struct dnsacme_record *record, const struct da_dns_zone *zone,
			    struct da_err *err)
{
	const struct da_dns_check check = {record->fqdn, record->value, zone};
	enum da_code rc = da_plugin_present(session->plugin, record, 1, err);

	if (rc == DA_OK)
		rc = da_plugin_wait(session->plugin, err);
	if (rc == DA_OK && !s->no_wait)
		rc = da_dns_propagation_wait(session->dns, &check, 1, s->propagation_timeout, NULL,
					     NULL, err);
	return rc;
}

int cmd_dns(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_session_config cfg = cli_session_config(s);
	const struct da_dns_zone *zone = NULL;
	struct da_session session;
	struct dnsacme_record record = {0};
	struct da_err err = {0}, zone_err = {0};
	const char *domain, *value;
	char *fqdn = NULL;
	int waits = s->command == CMD_PRESENT && !s->no_wait;
	enum da_code rc;

	what_and_where(s, &domain, &value);
	rc = da_session_init(&session, &cfg, stop, &err);
	if (rc == DA_OK && (domain == NULL || *domain == '\0'))
		rc = da_err_set(&err, DA_ERR_USAGE,
				"exactly one -d NAME is required (or CERTBOT_DOMAIN)");
	if (rc == DA_OK && (value == NULL || *value == '\0'))
		rc = da_err_set(&err, DA_ERR_USAGE,
				"--value TXT is required (or CERTBOT_VALIDATION)");
	if (rc == DA_OK && waits &&
	    (s->propagation_timeout < 1 || s->propagation_timeout > CLI_MAX_PROPAGATION_TIMEOUT))
		rc = da_err_set(&err, DA_ERR_USAGE,
				"--propagation-timeout must be 1 to %d seconds (--no-wait does not "
				"wait at all)",
				CLI_MAX_PROPAGATION_TIMEOUT);
	if (rc == DA_OK)
		rc = da_dns_name_check(domain, &err);
	if (rc == DA_OK)
		rc = da_session_open_dns(&session, &err);
	if (rc == DA_OK)
		rc = da_session_open_plugin(&session, &err);
	if (rc == DA_OK)
		rc = locate(&session, domain, &fqdn, &zone, &zone_err, &err);
	/* Refused before publishing: nothing is left for the caller to clean. */
	if (rc == DA_OK && zone == NULL && waits)
		rc = da_err_set(&err, DA_ERR_DNS,
				"%s: so the nameservers cannot be checked (--no-wait publishes "
				"without checking)",
				zone_err.msg);
	else if (rc == DA_OK && zone == NULL)
		da_logf(&session.log, DNSACME_LOG_WARN, "%s; the plugin finds the zone itself",
			zone_err.msg);
	if (rc == DA_OK) {
		record.fqdn = fqdn;
		record.zone = zone ? zone->name : NULL;
		record.value = value;
		rc = s->command == CMD_PRESENT
			     ? present(&session, s, &record, zone, &err)
			     : da_plugin_cleanup(session.plugin, &record, 1, &err);
	}
	if (rc == DA_OK)
		da_logf(&session.log, DNSACME_LOG_INFO, "%s TXT %s at %s",
			s->command == CMD_PRESENT ? "published" : "removed", value, fqdn);

	int status = rc == DA_OK ? CLI_EXIT_OK : cli_fail(&session.log, &err);

	free(fqdn);
	da_session_free(&session);
	return status;
}
