/* ChallengePayload in and out: see payload.h. */
#include "webhook/payload.h"

#include <stdio.h>
#include <string.h>

#include "dns/dns.h"

/* A string member, or NULL. */
static const char *string_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* An absolute name with its trailing dot, into buf without it. */
static enum da_code absolute_name(const char *name, const char *field, char *buf, size_t size,
				  struct da_err *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len < 2 || name[len - 1] != '.' || len >= size)
		return da_err_set(err, DA_ERR_CONFIG,
				  "request.%s must be an absolute name with a trailing dot", field);
	memcpy(buf, name, len - 1);
	buf[len - 1] = '\0';
	struct da_err why = {0};

	if (da_dns_record_name_check(buf, &why) != DA_OK)
		return da_err_set(err, DA_ERR_CONFIG, "request.%s: %s", field, why.msg);
	return DA_OK;
}

enum da_code da_payload_parse(const char *body, size_t len, const char *group,
			      struct da_challenge *out, struct da_err *err)
{
	const char *api_version, *kind, *action, *zone;
	char group_version[300];
	json_t *request;
	json_error_t jerr;
	enum da_code rc;

	memset(out, 0, sizeof(*out));
	if (len > DA_PAYLOAD_MAX_BODY)
		return da_err_set(err, DA_ERR_USAGE, "the body is larger than 1 MiB");
	out->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(out->root))
		return da_err_set(err, DA_ERR_USAGE, "the body is not a JSON object: %.200s",
				  out->root ? "another JSON value" : jerr.text);
	api_version = string_of(out->root, "apiVersion");
	kind = string_of(out->root, "kind");
	snprintf(group_version, sizeof(group_version), "%s/v1alpha1", group);
	if (json_object_get(out->root, "apiVersion") != NULL &&
	    (api_version == NULL || (strcmp(api_version, DA_PAYLOAD_API_VERSION) != 0 &&
				     strcmp(api_version, group_version) != 0)))
		return da_err_set(err, DA_ERR_USAGE,
				  "apiVersion %.100s: expected " DA_PAYLOAD_API_VERSION,
				  api_version ? api_version : "(not a string)");
	if (json_object_get(out->root, "kind") != NULL &&
	    (kind == NULL || strcmp(kind, "ChallengePayload") != 0))
		return da_err_set(err, DA_ERR_USAGE, "kind %.100s: expected ChallengePayload",
				  kind ? kind : "(not a string)");
	request = json_object_get(out->root, "request");
	if (!json_is_object(request))
		return da_err_set(err, DA_ERR_USAGE, "the payload has no request");
	action = string_of(request, "action");
	if (action != NULL && strcmp(action, "Present") == 0)
		out->action = DA_ACTION_PRESENT;
	else if (action != NULL && strcmp(action, "CleanUp") == 0)
		out->action = DA_ACTION_CLEANUP;
	else
		return da_err_set(err, DA_ERR_USAGE,
				  "request.action %.40s: expected Present or CleanUp",
				  action ? action : "(missing)");
	out->uid = string_of(request, "uid") ? string_of(request, "uid") : "";
	out->key = string_of(request, "key");
	out->namespace = string_of(request, "resourceNamespace");
	out->allow_ambient = json_is_true(json_object_get(request, "allowAmbientCredentials"));
	out->config = json_object_get(request, "config");
	rc = absolute_name(string_of(request, "resolvedFQDN"), "resolvedFQDN", out->fqdn_buf,
			   sizeof(out->fqdn_buf), err);
	out->fqdn = out->fqdn_buf;
	zone = string_of(request, "resolvedZone");
	if (rc == DA_OK && zone != NULL) {
		rc = absolute_name(zone, "resolvedZone", out->zone_buf, sizeof(out->zone_buf), err);
		out->zone = out->zone_buf;
	}
	if (rc == DA_OK && (out->key == NULL || out->key[0] == '\0' || strlen(out->key) > 255))
		rc = da_err_set(err, DA_ERR_CONFIG, "request.key must be the TXT value");
	if (rc == DA_OK && (out->namespace == NULL || out->namespace[0] == '\0'))
		rc = da_err_set(err, DA_ERR_CONFIG, "request.resourceNamespace is missing");
	return rc;
}

char *da_payload_answer(const struct da_challenge *c, const char *message)
{
	json_t *answer = json_deep_copy(c->root);
	json_t *response = message == NULL
				   ? json_pack("{s:s, s:b}", "uid", c->uid, "success", 1)
				   : json_pack("{s:s, s:b, s:{s:{}, s:s, s:s}}", "uid", c->uid,
					       "success", 0, "status", "metadata", "status",
					       "Failed", "message", message);
	char *text = NULL;

	if (answer != NULL && response != NULL &&
	    json_object_set_new(answer, "kind", json_string("ChallengePayload")) == 0 &&
	    json_object_set_new(answer, "apiVersion", json_string(DA_PAYLOAD_API_VERSION)) == 0 &&
	    json_object_set(answer, "response", response) == 0)
		text = json_dumps(answer, JSON_COMPACT);
	json_decref(response);
	json_decref(answer);
	return text;
}

char *da_payload_status(int code, const char *reason, const char *message)
{
	json_t *status = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status",
				   "apiVersion", "v1", "metadata", "status", "Failure", "message",
				   message, "reason", reason, "code", code);
	char *text = status ? json_dumps(status, JSON_COMPACT) : NULL;

	json_decref(status);
	return text;
}
