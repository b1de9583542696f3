/* The renewal record: what `issue` was asked, so `renew` can ask again. */
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

#include "base/utc.h"
#include "issue/issue.h"
#include "store/store.h"

#define RECORD_VERSION 1

enum da_code da_issue_save_record(const struct da_issue_handles *h,
				  const struct da_issue_record *rec, struct da_err *err)
{
	const struct da_issue_request *req = rec->req;
	json_t *root = NULL, *names = json_array(), *dns = NULL;
	char saved[DA_UTC_LEN], *text = NULL;
	enum da_code rc;

	rc = da_plugin_record(h->plugin, &dns, err);
	for (size_t i = 0; rc == DA_OK && names != NULL && i < req->n_names; i++)
		json_array_append_new(names, json_string(req->names[i]));
	da_utc_format(time(NULL), saved);
	if (rc == DA_OK && names != NULL)
		root = json_pack("{s:i, s:s, s:O, s:s, s:s, s:s?, s:s?, s:I, s:b, s:s?, s:s?, s:O, "
				 "s:s?, s:s?, s:s?}",
				 "version", RECORD_VERSION, "saved", saved, "names", names, "ca",
				 rec->ca, "key_type", da_crypto_key_type_name(req->key_type),
				 "profile", req->profile, "preferred_chain", req->preferred_chain,
				 "propagation_timeout", (json_int_t)req->propagation_timeout,
				 "propagation_skip", req->propagation_skip, "dns_resolvers",
				 rec->dns_resolvers, "propagation_nameservers",
				 rec->propagation_nameservers, "dns", dns, "out", rec->out,
				 "secret", rec->secret, "deploy_hook", rec->deploy_hook);
	text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	if (rc == DA_OK && text == NULL)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK)
		rc = da_store_renewal_write(h->state_dir, req->names[0], text, err);
	if (rc == DA_OK)
		rc = da_store_mirror_sync(h->state_mirror, err);
	free(text);
	json_decref(root);
	json_decref(names);
	json_decref(dns);
	return rc == DA_OK ? DA_OK : da_err_wrap(err, "renewal record");
}
