/*
 * cert-manager's ChallengePayload (webhook.acme.cert-manager.io/v1alpha1):
 * the POST body, with or without TypeMeta, checked field by field; and the
 * answers: the payload echoed with `response`, or a meta/v1 Status.
 */
#ifndef DA_WEBHOOK_PAYLOAD_H
#define DA_WEBHOOK_PAYLOAD_H

#include <stddef.h>

#include <jansson.h>

#include "base/error.h"

#define DA_PAYLOAD_MAX_BODY (1024 * 1024)
#define DA_PAYLOAD_API_VERSION "webhook.acme.cert-manager.io/v1alpha1"

enum da_action { DA_ACTION_PRESENT, DA_ACTION_CLEANUP };

/* One request; strings borrowed from root (json_decref() it when done). */
struct da_challenge {
	json_t *root;	       /* the payload as it came: echoed in the answer */
	enum da_action action;
	const char *uid;       /* "" from cert-manager */
	const char *fqdn;      /* resolvedFQDN without its trailing dot */
	const char *zone;      /* resolvedZone without its trailing dot, or NULL */
	const char *key;       /* the TXT value */
	const char *namespace; /* where the config's Secrets are */
	int allow_ambient;
	const json_t *config;  /* or NULL */
	char fqdn_buf[256];
	char zone_buf[256];
};

/*
 * Parse a body of group's solver. DA_ERR_USAGE with the reason for what is
 * not a payload at all (the HTTP answer is then a 400 Status); DA_ERR_CONFIG
 * for a payload whose request cannot be served (answered as success:false).
 * On both, out->root may be set (json_decref()).
 */
enum da_code da_payload_parse(const char *body, size_t len, const char *group,
			      struct da_challenge *out, struct da_err *err);

/* The answer to c: the payload with TypeMeta and response {uid, success,
 * status: {metadata: {}, status: "Failed", message}} (message NULL: success).
 * A JSON text (free()), or NULL when out of memory. */
char *da_payload_answer(const struct da_challenge *c, const char *message);

/* A meta/v1 Status: {"kind": "Status", ..., "message", "reason", "code"} (free()). */
char *da_payload_status(int code, const char *reason, const char *message);

#endif
