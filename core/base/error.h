/* The core's one error enum and the error record every fallible call fills. */
#ifndef DA_BASE_ERROR_H
#define DA_BASE_ERROR_H

#include "dnsacme/types.h" /* DNSACME_PRINTF */

enum da_code {
	DA_OK = 0,
	DA_ERR_USAGE,	    /* bad flag or argument */
	DA_ERR_CONFIG,	    /* bad configuration file or value */
	DA_ERR_NOMEM,
	DA_ERR_IO,	    /* local file system */
	DA_ERR_NETWORK,	    /* could not reach a server */
	DA_ERR_TLS,	    /* a server's TLS certificate did not verify */
	DA_ERR_PROTOCOL,    /* a server's answer made no sense */
	DA_ERR_CA,	    /* the CA refused (problem document) */
	DA_ERR_DNS,	    /* DNS lookup or propagation failure */
	DA_ERR_PLUGIN,	    /* a DNS provider plugin failed */
	DA_ERR_CRYPTO,	    /* key, signature or certificate handling */
	DA_ERR_TIMEOUT,
	DA_ERR_INTERRUPTED, /* SIGINT / SIGTERM */
	DA_ERR_CONFLICT,    /* another writer changed it first (Kubernetes 409): read again */
	DA_ERR_INTERNAL	    /* a bug: a failure reported without its code */
};

#define DA_ERR_MSG_MAX 1024

/* Filled by the function that fails; callers may prefix context with
 * da_err_wrap(). msg is one line. */
struct da_err {
	enum da_code code;
	char msg[DA_ERR_MSG_MAX];
};

/* Set err (may be NULL) and return code, so "return da_err_set(...)". */
enum da_code da_err_set(struct da_err *err, enum da_code code, const char *fmt, ...)
	DNSACME_PRINTF(3, 4);

/* Prefix err->msg with "context: "; returns err->code, so "return
 * da_err_wrap(...)" after a failure. A NULL err (the code is lost) or one
 * that holds no failure returns DA_ERR_INTERNAL, never DA_OK. */
enum da_code da_err_wrap(struct da_err *err, const char *fmt, ...) DNSACME_PRINTF(2, 3);

/* A short name for a code, e.g. "network error". */
const char *da_code_str(enum da_code code);

#endif
