/*
 * dnsacme present / cleanup: one plugin call for one value, so the plugins
 * can serve as DNS hooks of other ACME clients (certbot's manual hooks,
 * lego's exec provider).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Where the record lives, and the zone hint when discovery works; the
 * plugin can find its zone itself when DNS cannot be asked. */
static enum da_code locate(struct da_session *session, const char *domain, char **fqdn,
			   const char **zone, struct da_err *err)
{
	char *challenge_name = NULL;
	const struct da_dns_zone *found;
	struct da_err dns_err;
	enum da_code rc;

	*zone = NULL;
	rc = da_dns_challenge_name(domain, &challenge_name, err);
	if (rc != DA_OK)
		return rc;
	if (da_dns_follow_cname(session->dns, challenge_name, fqdn, &dns_err) != DA_OK) {
		da_logf(&session->log, DNSACME_LOG_WARN, "%s; using %s as it is", dns_err.msg,
			challenge_name);
		*fqdn = challenge_name;
		return DA_OK;
	}
	free(challenge_name);
	if (da_dns_find_zone(session->dns, *fqdn, &found, &dns_err) == DA_OK)
		*zone = found->name;
	else
		da_logf(&session->log, DNSACME_LOG_WARN, "%s; the plugin finds the zone itself",
			dns_err.msg);
	return DA_OK;
}

int cmd_dns(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_session_config cfg = cli_session_config(s);
	struct da_session session;
	struct dnsacme_record record = {0};
	struct da_err err = {0};
	char *fqdn = NULL;
	enum da_code rc;

	rc = da_session_init(&session, &cfg, stop, &err);
	if (rc == DA_OK && s->domains.n != 1)
		rc = da_err_set(&err, DA_ERR_USAGE, "exactly one -d NAME is required");
	if (rc == DA_OK && (s->value == NULL || *s->value == '\0'))
		rc = da_err_set(&err, DA_ERR_USAGE, "--value TXT is required");
	if (rc == DA_OK)
		rc = da_dns_name_check(s->domains.items[0], &err);
	if (rc == DA_OK)
		rc = da_session_open_dns(&session, &err);
	if (rc == DA_OK)
		rc = da_session_open_plugin(&session, &err);
	if (rc == DA_OK)
		rc = locate(&session, s->domains.items[0], &fqdn, &record.zone, &err);
	if (rc == DA_OK) {
		record.fqdn = fqdn;
		record.value = s->value;
		if (s->command == CMD_PRESENT) {
			rc = da_plugin_present(session.plugin, &record, 1, &err);
			if (rc == DA_OK)
				rc = da_plugin_wait(session.plugin, &err);
		} else {
			rc = da_plugin_cleanup(session.plugin, &record, 1, &err);
		}
	}
	if (rc == DA_OK)
		da_logf(&session.log, DNSACME_LOG_INFO, "%s TXT %s at %s",
			s->command == CMD_PRESENT ? "published" : "removed", s->value, fqdn);

	int status = rc == DA_OK ? CLI_EXIT_OK : cli_fail(&session.log, &err);

	free(fqdn);
	da_session_free(&session);
	return status;
}
