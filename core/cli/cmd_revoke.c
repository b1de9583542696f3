/* dnsacme revoke: revoke a certificate with the account of this CA. */
#include <stdlib.h>

#include "crypto/crypto.h"
#include "runtime.h"
#include "store/store.h"

int cmd_revoke(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	struct runtime rt;
	struct da_chain *chain = NULL;
	struct da_err err = {0};
	char *pem = NULL;
	size_t len;
	enum da_code rc;

	rc = runtime_init(&rt, s, stop, &err);
	if (rc == DA_OK && s->cert == NULL)
		rc = da_err_set(&err, DA_ERR_USAGE, "--cert FILE is required");
	if (rc == DA_OK && (s->reason < 0 || s->reason > 10 || s->reason == 7))
		rc = da_err_set(&err, DA_ERR_USAGE, "--reason %ld is not an RFC 5280 reason code",
				s->reason);
	if (rc == DA_OK)
		rc = da_store_read_file(s->cert, &pem, &len, &err);
	/* A read error names the file already; a parse error does not. */
	if (rc == DA_OK && da_chain_parse(pem, &chain, &err) != DA_OK)
		rc = da_err_wrap(&err, "%s", s->cert);
	if (rc == DA_OK)
		rc = runtime_open_account(&rt, 0, &err);
	if (rc == DA_OK)
		rc = da_acme_revoke(rt.acme, rt.account_key, rt.account_url, chain->leaf_der,
				    chain->leaf_der_len, (int)s->reason, &err);
	if (rc == DA_OK)
		da_logf(&rt.log, DNSACME_LOG_INFO, "revoked certificate %s (serial %s)", s->cert,
			chain->certs[0].serial_hex);

	int status = rc == DA_OK ? CLI_EXIT_OK : cli_fail(&rt.log, &err);

	da_chain_free(chain);
	free(pem);
	runtime_free(&rt);
	return status;
}
