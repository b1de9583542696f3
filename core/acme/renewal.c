/* ACME Renewal Information (RFC 9773). */
#include "acme/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/parse.h"

enum da_code da_acme_renewal_info(struct da_acme *client, const char *cert_id,
				  struct da_acme_renewal *out, struct da_err *err)
{
	const char *base = client->dir.renewal_info;
	struct dnsacme_http_response resp;
	json_t *obj = NULL;
	char *url = NULL;
	enum da_code rc;
	long after = -1;

	memset(out, 0, sizeof(*out));
	if (base == NULL)
		return da_err_set(err, DA_ERR_USAGE, "the CA offers no renewal information (ARI)");
	/* RFC 9773 4.1: the CertID is a path segment below renewalInfo. */
	if (asprintf(&url, "%s%s%s", base, base[0] && base[strlen(base) - 1] == '/' ? "" : "/",
		     cert_id) < 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = acme_get(client, url, &resp, err);
	if (rc == DA_OK) {
		after = da_http_retry_after_ms(&resp, time(NULL));
		rc = acme_object(&resp, url, "fetching renewal information", &obj, err);
		da_http_response_free(&resp);
	}
	if (rc == DA_OK)
		rc = da_acme_renewal_parse(obj, url, out, err);
	if (rc == DA_OK)
		out->retry_after_seconds = after >= 0 ? after / 1000 : -1;
	else
		da_acme_renewal_clear(out);
	json_decref(obj);
	free(url);
	return rc;
}
