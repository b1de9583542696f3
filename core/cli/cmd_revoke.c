/* dnsacme revoke: revoke a certificate with the account of this CA. */
#include <stdlib.h>

#include "base/file.h"
#include "crypto/crypto.h"
#include "cli.h"

int cmd_revoke(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	const struct da_session_config cfg = cli_session_config(s);
	struct da_session session;
	struct da_chain *chain = NULL;
	struct da_err err = {0};
	char *pem = NULL;
	size_t len;
	enum da_code rc;

	rc = da_session_init(&session, &cfg, stop, &err);
	if (rc == DA_OK && s->cert == NULL)
		rc = da_err_set(&err, DA_ERR_USAGE, "--cert FILE is required");
	if (rc == DA_OK && (s->reason < 0 || s->reason > 10 || s->reason == 7))
		rc = da_err_set(&err, DA_ERR_USAGE, "--reason %ld is not an RFC 5280 reason code",
				s->reason);
	if (rc == DA_OK)
		rc = da_file_read(s->cert, DA_FILE_READ_MAX, &pem, &len, &err);
	/* A read error names the file already; a parse error does not. */
	if (rc == DA_OK && da_crypto_chain_parse(pem, &chain, &err) != DA_OK)
		rc = da_err_wrap(&err, "%s", s->cert);
	if (rc == DA_OK)
		rc = da_session_open_account(&session, 0, &err);
	if (rc == DA_OK)
		rc = da_acme_revoke(session.acme, &session.account, session.account_url,
				    chain->leaf_der, chain->leaf_der_len, (int)s->reason, &err);
	if (rc == DA_OK)
		da_logf(&session.log, DNSACME_LOG_INFO, "revoked certificate %s (serial %s)", s->cert,
			chain->certs[0].serial_hex);

	int status = rc == DA_OK ? CLI_EXIT_OK : cli_fail(&session.log, &err);

	da_crypto_chain_free(chain);
	free(pem);
	da_session_free(&session);
	return status;
}
