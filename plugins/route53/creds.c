#include "creds.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "send.h"

#define EXPIRY_MARGIN 300     /* refresh this many seconds before expiry */
#define METADATA_TIMEOUT_MS 1000 /* link-local agents answer at once or never */
#define TOKEN_FILE_MAX (64 * 1024)

void r53_creds_init(struct r53_creds *c, const struct dnsacme_host *host,
		    const struct r53_creds_config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->host = host;
	c->cfg = cfg;
}

void r53_creds_free(struct r53_creds *c)
{
	r53_credentials_clear(&c->current);
}

int r53_creds_expire(struct r53_creds *c)
{
	int temporary = c->current.expires != 0;

	if (temporary)
		r53_credentials_clear(&c->current);
	return temporary;
}

/* --- shared files ---------------------------------------------------------- */

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int section_matches(const char *section, const char *profile, int config_style)
{
	if (!config_style)
		return strcmp(section, profile) == 0;
	if (strncmp(section, "profile", 7) == 0 && isspace((unsigned char)section[7]))
		return strcmp(trim((char *)section + 8), profile) == 0;
	return strcmp(profile, "default") == 0 && strcmp(section, "default") == 0;
}

static int set_field(char **field, const char *value)
{
	free(*field);
	*field = strdup(value);
	return *field != NULL ? 0 : -1;
}

void r53_profile_clear(struct r53_profile *p)
{
	r53_credentials_clear(&p->keys);
	free(p->role_arn);
	free(p->source_profile);
	free(p->web_identity_token_file);
	free(p->external_id);
	memset(p, 0, sizeof(*p));
}

int r53_profile_read(const char *path, const char *profile, int config_style,
		     struct r53_profile *out)
{
	static const struct {
		const char *key;
		size_t offset;
	} fields[] = {
		{"aws_access_key_id", offsetof(struct r53_profile, keys.access_key_id)},
		{"aws_secret_access_key", offsetof(struct r53_profile, keys.secret_access_key)},
		{"aws_session_token", offsetof(struct r53_profile, keys.session_token)},
		{"role_arn", offsetof(struct r53_profile, role_arn)},
		{"source_profile", offsetof(struct r53_profile, source_profile)},
		{"web_identity_token_file", offsetof(struct r53_profile, web_identity_token_file)},
		{"external_id", offsetof(struct r53_profile, external_id)},
	};
	FILE *f = fopen(path, "r");
	char *line = NULL, *s, *eq;
	size_t cap = 0, i;
	int in_section = 0, found = 0;

	memset(out, 0, sizeof(*out));
	if (f == NULL)
		return 0;
	while (getline(&line, &cap, f) >= 0) {
		s = trim(line);
		if (*s == '#' || *s == ';' || *s == '\0')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');

			if (close != NULL)
				*close = '\0';
			in_section = section_matches(trim(s + 1), profile, config_style);
			found |= in_section;
			continue;
		}
		if (!in_section || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (strcmp(trim(s), fields[i].key) != 0)
				continue;
			char **field = (char **)((char *)out + fields[i].offset);

			if (set_field(field, trim(eq + 1)) != 0) {
				found = -1;
				goto out;
			}
		}
	}
out:
	if (line != NULL)
		memset(line, 0, cap); /* it held a secret */
	free(line);
	fclose(f);
	if (found < 0)
		r53_profile_clear(out);
	return found;
}

/* --- helpers ---------------------------------------------------------------- */

static int copy_credentials(struct r53_credentials *dst, const struct r53_credentials *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->access_key_id = strdup(src->access_key_id);
	dst->secret_access_key = strdup(src->secret_access_key);
	dst->session_token = src->session_token != NULL ? strdup(src->session_token) : NULL;
	dst->expires = src->expires;
	if (dst->access_key_id == NULL || dst->secret_access_key == NULL ||
	    (src->session_token != NULL && dst->session_token == NULL)) {
		r53_credentials_clear(dst);
		return -1;
	}
	return 0;
}

/* Register runtime secrets so that no log line or message carries them. The
 * key id too: it names the account to anyone who has it. */
static void hide(const struct dnsacme_host *host, const struct r53_credentials *k)
{
	host->add_secret(host, k->access_key_id);
	host->add_secret(host, k->secret_access_key);
	if (k->session_token != NULL)
		host->add_secret(host, k->session_token);
}

/* A token file's content less trailing whitespace (allocated), re-read at each
 * refresh because the kubelet rotates it; NULL with host->error() set. */
static char *read_token_file(const struct dnsacme_host *host, const char *what, const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL) {
		host->error(host, "cannot read %s %s", what, path);
		return NULL;
	}
	buf = malloc(TOKEN_FILE_MAX + 1);
	n = buf != NULL ? fread(buf, 1, TOKEN_FILE_MAX, f) : 0;
	fclose(f);
	if (buf == NULL)
		return NULL;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		host->error(host, "%s %s is empty", what, path);
		free(buf);
		return NULL;
	}
	host->add_secret(host, buf);
	return buf;
}

static enum dnsacme_status nomem(const struct dnsacme_host *host)
{
	host->error(host, "out of memory");
	return DNSACME_ERR_NOMEM;
}

/* One STS call with retries on throttling, 5xx and network errors. */
static enum dnsacme_status sts_call(struct r53_creds *c, const struct r53_request *req,
				    const struct r53_credentials *signing, time_t now,
				    struct r53_credentials *out)
{
	const struct dnsacme_host *host = c->host;
	const struct r53_creds_config *cfg = c->cfg;
	struct r53_signer signer = {signing, "sts", cfg->region ? cfg->region : "us-east-1", now};
	struct dnsacme_http_response resp;
	struct r53_endpoint ep;
	struct r53_error e;
	char url[256];
	enum dnsacme_status rc;
	unsigned attempt;
	long status = 0;

	if (cfg->sts_endpoint != NULL)
		snprintf(url, sizeof(url), "%s", cfg->sts_endpoint);
	else if (r53_sts_endpoint(cfg->region, url, sizeof(url)) != 0)
		url[0] = '\0';
	if (r53_endpoint_parse(url, &ep) != 0) {
		host->error(host, "bad STS endpoint %s", url);
		return DNSACME_ERR_CONFIG;
	}
	for (attempt = 0;; attempt++) {
		int retry;

		/* A retry after a backoff is signed at its own time. */
		if (attempt > 0)
			signer.now = time(NULL);
		rc = r53_send_once(host, &ep, req, signing != NULL ? &signer : NULL, NULL, 0, 0,
				   &resp);
		if (rc != DNSACME_OK && rc != DNSACME_ERR_NETWORK && rc != DNSACME_ERR_TIMEOUT)
			return rc;
		if (rc == DNSACME_OK && resp.status / 100 == 2) {
			if (r53_parse_sts_credentials(resp.body, resp.body_len, out) == 0) {
				hide(host, out);
				host->http_free(host, &resp);
				return DNSACME_OK;
			}
			host->http_free(host, &resp);
			host->error(host, "STS %s: unexpected answer", req->op);
			return DNSACME_ERR_PROTOCOL;
		}
		status = rc == DNSACME_OK ? resp.status : 0;
		if (rc == DNSACME_OK && r53_parse_error(resp.body, resp.body_len, &e) != 0)
			snprintf(e.code, sizeof(e.code), "HTTP %ld", status);
		retry = rc != DNSACME_OK || status >= 500 ||
			strcmp(e.code, "Throttling") == 0 ||
			strcmp(e.code, "IDPCommunicationError") == 0;
		if (rc == DNSACME_OK)
			host->http_free(host, &resp);
		if (!retry || attempt >= cfg->max_retries)
			break;
		if (host->backoff(host, attempt + 1, 0) != 0) {
			host->error(host, "STS %s: interrupted", req->op);
			return DNSACME_ERR_TIMEOUT;
		}
	}
	if (rc != DNSACME_OK) {
		host->error(host, "STS %s: %s unreachable", req->op, ep.base);
		return rc;
	}
	host->error(host, "STS %s: %s: %s (request id %s)", req->op, e.code, e.message,
		    e.request_id[0] ? e.request_id : "none");
	return r53_error_status(status, e.code);
}

static enum dnsacme_status web_identity(struct r53_creds *c, const char *role_arn,
					const char *token_file, time_t now,
					struct r53_credentials *out)
{
	const char *session = c->cfg->role_session_name ? c->cfg->role_session_name : "dnsacme";
	struct r53_request req;
	enum dnsacme_status rc;
	char *token = read_token_file(c->host, "web identity token file", token_file);

	if (token == NULL)
		return DNSACME_ERR_CONFIG;
	if (r53_req_sts_web_identity(&req, role_arn, session, token) != 0)
		rc = nomem(c->host);
	else
		rc = sts_call(c, &req, NULL, now, out);
	r53_request_free(&req);
	free(token);
	return rc;
}

static enum dnsacme_status assume_role(struct r53_creds *c, const char *role_arn,
				       const char *external_id,
				       const struct r53_credentials *base, time_t now,
				       struct r53_credentials *out)
{
	const char *session = c->cfg->role_session_name ? c->cfg->role_session_name : "dnsacme";
	struct r53_request req;
	enum dnsacme_status rc;

	if (r53_req_sts_assume_role(&req, role_arn, session, external_id) != 0)
		rc = nomem(c->host);
	else
		rc = sts_call(c, &req, base, now, out);
	r53_request_free(&req);
	return rc;
}

/* --- container and instance metadata ------------------------------------- */

int r53_parse_json_credentials(const char *json, size_t len, struct r53_credentials *out)
{
	json_t *root = json_loadb(json, len, 0, NULL);
	const char *code, *akid, *secret, *token, *expiration;
	struct r53_credentials k = {0};
	int rc = -1;

	if (root == NULL)
		return -1;
	code = json_string_value(json_object_get(root, "Code"));
	akid = json_string_value(json_object_get(root, "AccessKeyId"));
	secret = json_string_value(json_object_get(root, "SecretAccessKey"));
	token = json_string_value(json_object_get(root, "Token"));
	expiration = json_string_value(json_object_get(root, "Expiration"));
	if ((code == NULL || strcmp(code, "Success") == 0) && akid != NULL && secret != NULL) {
		struct r53_credentials view = {(char *)akid, (char *)secret, (char *)token,
					       r53_parse_time(expiration)};

		/* Without an expiry, ask again in an hour rather than never. */
		if (view.expires == (time_t)-1)
			view.expires = time(NULL) + 3600;
		if (copy_credentials(&k, &view) == 0) {
			*out = k;
			rc = 0;
		}
	}
	json_decref(root);
	return rc;
}

/* Is host (as libcurl's URL parser returns it) one of the local agents? */
static int local_agent(const char *host)
{
	static const char *const agents[] = {
		"localhost", "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]",
	};
	struct in_addr addr;

	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++)
		if (strcasecmp(host, agents[i]) == 0)
			return 1;
	/* Any loopback IPv4 address, written as one. */
	return inet_pton(AF_INET, host, &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127;
}

int r53_container_url_allowed(const char *url)
{
	CURLU *parsed = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
	int allowed = 0;

	/* The URL is read by the parser libcurl connects with, so the host
	 * checked is the host reached; userinfo ("http://127.0.0.1:x@evil/")
	 * has no place in a credentials URL and is refused outright. */
	if (parsed != NULL && curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(parsed, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
	    curl_url_get(parsed, CURLUPART_PASSWORD, &password, 0) == CURLUE_NO_PASSWORD)
		allowed = strcmp(scheme, "https") == 0 ||
			  (strcmp(scheme, "http") == 0 && local_agent(host));
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(parsed);
	return allowed;
}

/* One plain exchange with a metadata agent; DNSACME_OK only for HTTP 200. */
static enum dnsacme_status agent_call(const struct dnsacme_host *host, const char *method,
				      const char *url, const struct dnsacme_http_header *headers,
				      size_t n_headers, long timeout_ms,
				      struct dnsacme_http_response *resp)
{
	/* Direct: the agent's token or keys must never cross a proxy. */
	struct dnsacme_http_request req = {
		.method = method,
		.url = url,
		.headers = headers,
		.n_headers = n_headers,
		.timeout_ms = timeout_ms,
		.flags = DNSACME_HTTP_DIRECT,
	};
	enum dnsacme_status rc = host->http(host, &req, resp);
	long status;

	if (rc != DNSACME_OK)
		return rc;
	status = resp->status;
	if (status == 200)
		return DNSACME_OK;
	host->http_free(host, resp);
	host->error(host, "%s %s: HTTP %ld", method, url, status);
	return status == 401 || status == 403 ? DNSACME_ERR_AUTH : DNSACME_ERR_API;
}

static enum dnsacme_status container(struct r53_creds *c, struct r53_credentials *out)
{
	const struct dnsacme_host *host = c->host;
	const struct r53_creds_config *cfg = c->cfg;
	struct dnsacme_http_header auth = {"Authorization", NULL};
	struct dnsacme_http_response resp;
	char *url = NULL, *token = NULL;
	enum dnsacme_status rc;

	if (cfg->container_full_uri != NULL)
		url = strdup(cfg->container_full_uri);
	else if (asprintf(&url, "http://169.254.170.2%s", cfg->container_relative_uri) < 0)
		url = NULL;
	if (url == NULL)
		return nomem(host);
	if (!r53_container_url_allowed(url)) {
		host->error(host, "container credentials URL %s is neither HTTPS nor a local "
			    "agent", url);
		free(url);
		return DNSACME_ERR_CONFIG;
	}
	if (cfg->container_token_file != NULL) {
		token = read_token_file(host, "container authorization token file",
					cfg->container_token_file);
		if (token == NULL) {
			free(url);
			return DNSACME_ERR_CONFIG;
		}
		auth.value = token;
	} else if (cfg->container_token != NULL) {
		auth.value = cfg->container_token;
	}
	rc = agent_call(host, "GET", url, &auth, auth.value != NULL, 2 * METADATA_TIMEOUT_MS,
			&resp);
	if (rc == DNSACME_OK) {
		if (r53_parse_json_credentials(resp.body, resp.body_len, out) == 0) {
			hide(host, out);
		} else {
			host->error(host, "container credentials from %s: unexpected answer", url);
			rc = DNSACME_ERR_PROTOCOL;
		}
		host->http_free(host, &resp);
	} else if (rc == DNSACME_ERR_NETWORK || rc == DNSACME_ERR_TIMEOUT) {
		host->error(host, "container credentials: %s unreachable", url);
	}
	free(token);
	free(url);
	return rc;
}

#define IMDS_ROLES "/latest/meta-data/iam/security-credentials/"

/* One exchange with the instance metadata service: base + path + leaf. */
static enum dnsacme_status imds_call(const struct dnsacme_host *host, const char *method,
				     const char *base, const char *path, const char *leaf,
				     const struct dnsacme_http_header *header,
				     struct dnsacme_http_response *resp)
{
	size_t blen = strlen(base);
	enum dnsacme_status rc;
	char *url;

	if (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (asprintf(&url, "%.*s%s%s", (int)blen, base, path, leaf) < 0)
		return nomem(host);
	rc = agent_call(host, method, url, header, 1, METADATA_TIMEOUT_MS, resp);
	free(url);
	return rc;
}

/* IMDSv2: a session token first (PUT), then the role name, then its keys.
 * DNSACME_ERR_NETWORK when nothing answers: not on EC2. */
static enum dnsacme_status instance_metadata(struct r53_creds *c, struct r53_credentials *out)
{
	const struct dnsacme_host *host = c->host;
	const char *base = c->cfg->imds_endpoint ? c->cfg->imds_endpoint : "http://169.254.169.254";
	struct dnsacme_http_header h = {"X-aws-ec2-metadata-token-ttl-seconds", "21600"};
	struct dnsacme_http_response resp;
	enum dnsacme_status rc;
	char *token, *role = NULL;

	rc = imds_call(host, "PUT", base, "/latest/api/token", "", &h, &resp);
	if (rc != DNSACME_OK)
		return rc;
	token = strdup(resp.body);
	host->http_free(host, &resp);
	if (token == NULL)
		return nomem(host);
	host->add_secret(host, token);
	h = (struct dnsacme_http_header){"X-aws-ec2-metadata-token", token};

	rc = imds_call(host, "GET", base, IMDS_ROLES, "", &h, &resp);
	if (rc != DNSACME_OK)
		goto out;
	role = strndup(resp.body, strcspn(resp.body, "\r\n"));
	host->http_free(host, &resp);
	if (role == NULL || role[0] == '\0' || strchr(role, '/') != NULL) {
		host->error(host, "instance metadata: no IAM role attached to this instance");
		rc = DNSACME_ERR_CONFIG;
		goto out;
	}
	rc = imds_call(host, "GET", base, IMDS_ROLES, role, &h, &resp);
	if (rc != DNSACME_OK)
		goto out;
	if (r53_parse_json_credentials(resp.body, resp.body_len, out) == 0) {
		hide(host, out);
	} else {
		host->error(host, "instance metadata: unexpected credentials for role %s", role);
		rc = DNSACME_ERR_PROTOCOL;
	}
	host->http_free(host, &resp);
out:
	free(role);
	free(token);
	return rc;
}

/* --- the chain ------------------------------------------------------------- */

static char *home_path(const char *configured, const char *name)
{
	const char *home = getenv("HOME");
	char *path;

	if (configured != NULL)
		return strdup(configured);
	if (home == NULL || asprintf(&path, "%s/.aws/%s", home, name) < 0)
		return NULL;
	return path;
}

/* A profile's own static keys: the credentials file first, then config. */
static int profile_keys(const char *cred_path, const char *conf_path, const char *profile,
			struct r53_profile *from_conf, struct r53_credentials *keys)
{
	struct r53_profile p;
	int found = 0;

	memset(keys, 0, sizeof(*keys));
	if (cred_path != NULL && r53_profile_read(cred_path, profile, 0, &p) > 0) {
		found = 1;
		if (p.keys.access_key_id != NULL && p.keys.secret_access_key != NULL) {
			*keys = p.keys;
			memset(&p.keys, 0, sizeof(p.keys));
		}
		r53_profile_clear(&p);
	}
	if (conf_path != NULL && r53_profile_read(conf_path, profile, 1, from_conf) > 0) {
		found = 1;
		if (keys->access_key_id == NULL && from_conf->keys.access_key_id != NULL &&
		    from_conf->keys.secret_access_key != NULL) {
			*keys = from_conf->keys;
			memset(&from_conf->keys, 0, sizeof(from_conf->keys));
		}
	}
	return found;
}

/* *found is set when the profile gave credentials; an explicitly chosen
 * profile that is missing or unusable is an error, the default one is not. */
static enum dnsacme_status shared_files(struct r53_creds *c, time_t now,
					struct r53_credentials *out, int *found)
{
	const struct r53_creds_config *cfg = c->cfg;
	const char *profile = cfg->profile ? cfg->profile : "default";
	char *cred_path = home_path(cfg->shared_credentials_file, "credentials");
	char *conf_path = home_path(cfg->config_file, "config");
	struct r53_profile conf = {0}, src_conf = {0};
	struct r53_credentials keys, source;
	enum dnsacme_status rc = DNSACME_OK;

	*found = 0;
	if (!profile_keys(cred_path, conf_path, profile, &conf, &keys)) {
		if (cfg->profile != NULL) {
			c->host->error(c->host, "AWS profile %s not found in %s or %s", profile,
				       cred_path ? cred_path : "(no credentials file)",
				       conf_path ? conf_path : "(no config file)");
			rc = DNSACME_ERR_CONFIG;
		}
		goto out;
	}
	if (keys.access_key_id != NULL) {
		hide(c->host, &keys);
		*out = keys;
		*found = 1;
	} else if (conf.role_arn != NULL && conf.web_identity_token_file != NULL) {
		rc = web_identity(c, conf.role_arn, conf.web_identity_token_file, now, out);
		*found = rc == DNSACME_OK;
	} else if (conf.role_arn != NULL && conf.source_profile != NULL) {
		if (!profile_keys(cred_path, conf_path, conf.source_profile, &src_conf, &source) ||
		    source.access_key_id == NULL) {
			c->host->error(c->host, "AWS profile %s: source_profile %s has no keys",
				       profile, conf.source_profile);
			rc = DNSACME_ERR_CONFIG;
			goto out;
		}
		hide(c->host, &source);
		rc = assume_role(c, conf.role_arn, conf.external_id, &source, now, out);
		r53_credentials_clear(&source);
		*found = rc == DNSACME_OK;
	} else if (cfg->profile != NULL) {
		c->host->error(c->host, "AWS profile %s has no keys, role_arn with source_profile "
			       "or web_identity_token_file", profile);
		rc = DNSACME_ERR_CONFIG;
	}
out:
	r53_profile_clear(&conf);
	r53_profile_clear(&src_conf);
	free(cred_path);
	free(conf_path);
	return rc;
}

static enum dnsacme_status resolve_base(struct r53_creds *c, time_t now,
					struct r53_credentials *out)
{
	const struct r53_creds_config *cfg = c->cfg;
	enum dnsacme_status rc;
	int found;

	if (cfg->access_key_id != NULL || cfg->secret_access_key != NULL) {
		struct r53_credentials view = {(char *)cfg->access_key_id,
			(char *)cfg->secret_access_key, (char *)cfg->session_token, 0};

		if (cfg->access_key_id == NULL || cfg->secret_access_key == NULL) {
			c->host->error(c->host, "access_key_id (AWS_ACCESS_KEY_ID) and "
				       "secret_access_key (AWS_SECRET_ACCESS_KEY) go together");
			return DNSACME_ERR_CONFIG;
		}
		/* Keys come first, as in the SDKs; AWS_PROFILE exported beside
		 * them is a common mistake, so it is not ignored silently. */
		if (cfg->profile != NULL)
			c->host->log(c->host, DNSACME_LOG_WARN,
				     "profile %s is not used: access keys are set "
				     "(access_key_id, AWS_ACCESS_KEY_ID) and come first",
				     cfg->profile);
		c->source = "access keys from options or environment";
		return copy_credentials(out, &view) == 0 ? DNSACME_OK : nomem(c->host);
	}
	rc = shared_files(c, now, out, &found);
	if (rc != DNSACME_OK || found) {
		c->source = "shared credentials/config files";
		return rc;
	}
	if (cfg->role_arn != NULL && cfg->web_identity_token_file != NULL) {
		c->source = "web identity (AssumeRoleWithWebIdentity)";
		return web_identity(c, cfg->role_arn, cfg->web_identity_token_file, now, out);
	}
	if (cfg->container_full_uri != NULL || cfg->container_relative_uri != NULL) {
		c->source = "container credentials endpoint";
		return container(c, out);
	}
	if (!cfg->imds_disabled) {
		c->source = "EC2 instance metadata (IMDSv2)";
		rc = instance_metadata(c, out);
		if (rc != DNSACME_ERR_NETWORK && rc != DNSACME_ERR_TIMEOUT)
			return rc;
	}
	c->host->error(c->host, "no AWS credentials found: set access_key_id/secret_access_key "
		       "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), a profile in ~/.aws, web "
		       "identity, container credentials, or run on EC2 with an instance role");
	return DNSACME_ERR_CONFIG;
}

enum dnsacme_status r53_creds_get(struct r53_creds *c, time_t now,
				  const struct r53_credentials **out)
{
	struct r53_credentials base;
	enum dnsacme_status rc;

	if (c->current.access_key_id != NULL &&
	    (c->current.expires == 0 || now < c->current.expires - EXPIRY_MARGIN)) {
		*out = &c->current;
		return DNSACME_OK;
	}
	r53_credentials_clear(&c->current);
	rc = resolve_base(c, now, &base);
	if (rc != DNSACME_OK)
		return rc;
	if (c->cfg->assume_role_arn != NULL) {
		rc = assume_role(c, c->cfg->assume_role_arn, c->cfg->external_id, &base, now,
				 &c->current);
		r53_credentials_clear(&base);
		if (rc != DNSACME_OK)
			return rc;
		c->source = "assumed role";
	} else {
		c->current = base;
	}
	c->host->log(c->host, DNSACME_LOG_DEBUG, "AWS credentials from %s", c->source);
	*out = &c->current;
	return DNSACME_OK;
}
