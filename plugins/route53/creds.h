/*
 * The AWS credential chain, in the order the Go SDK (and so lego) uses it:
 * explicit keys / environment, shared files with profiles, web identity
 * (IRSA), container credentials (ECS, EKS Pod Identity), EC2 instance
 * metadata (IMDSv2); then, optionally, a role assumed with what was found.
 * Temporary credentials are cached until shortly before they expire.
 */
#ifndef R53_CREDS_H
#define R53_CREDS_H

#include <time.h>

#include "api.h"
#include "dnsacme/plugin.h"

/* Settings, borrowed from the host's option values (NULL: unset). */
struct r53_creds_config {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
	const char *profile;
	const char *shared_credentials_file; /* NULL: ~/.aws/credentials */
	const char *config_file;	     /* NULL: ~/.aws/config */
	const char *region;		     /* picks the STS endpoint */
	const char *role_arn;		     /* web identity */
	const char *web_identity_token_file;
	const char *role_session_name;	     /* NULL: "dnsacme" */
	const char *container_full_uri;
	const char *container_relative_uri;
	const char *container_token_file;
	const char *container_token;
	const char *imds_endpoint;	     /* NULL: http://169.254.169.254 */
	int imds_disabled;
	const char *assume_role_arn;
	const char *external_id;
	const char *sts_endpoint;	     /* URL override; NULL: from region */
	unsigned max_retries;		     /* for STS calls */
};

struct r53_creds {
	const struct dnsacme_host *host;
	const struct r53_creds_config *cfg;
	struct r53_credentials current; /* empty until the first r53_creds_get() */
	const char *source;		/* where current came from, for messages */
};

/* cfg and host must outlive c. Release with r53_creds_free(). */
void r53_creds_init(struct r53_creds *c, const struct dnsacme_host *host,
		    const struct r53_creds_config *cfg);
void r53_creds_free(struct r53_creds *c);

/*
 * Credentials valid at now (cached, or resolved again when absent or within
 * five minutes of expiry). *out points into c until the next call. On failure
 * host->error() has the reason.
 */
enum dnsacme_status r53_creds_get(struct r53_creds *c, time_t now,
				  const struct r53_credentials **out);

/* Whether the cached credentials are temporary, so that refreshing them after
 * an ExpiredToken may help; drops them so the next get resolves again. */
int r53_creds_expire(struct r53_creds *c);

/* What a profile section of a shared file holds (each field NULL when absent;
 * all allocated, released with r53_profile_clear()). */
struct r53_profile {
	struct r53_credentials keys; /* aws_access_key_id, ... */
	char *role_arn;
	char *source_profile;
	char *web_identity_token_file;
	char *external_id;
};

/*
 * Read profile from the INI file at path. config_style: the config file's
 * "[profile NAME]" sections (and "[default]"); otherwise the credentials
 * file's "[NAME]". 1 found, 0 no such section or no file, -1 out of memory.
 */
int r53_profile_read(const char *path, const char *profile, int config_style,
		     struct r53_profile *out);
void r53_profile_clear(struct r53_profile *p);

/* Credentials from a container-credentials or IMDS JSON document into *out
 * (r53_credentials_clear()); 0, or -1 when the document holds none. */
int r53_parse_json_credentials(const char *json, size_t len, struct r53_credentials *out);

/* Whether a container credentials URL may be trusted with a token: HTTPS, or
 * HTTP to loopback or the ECS / EKS link-local agents; never with userinfo. */
int r53_container_url_allowed(const char *url);

#endif
