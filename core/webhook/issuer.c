/* An Issuer's solver config as plugin settings: see issuer.h. */
#include "webhook/issuer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"

enum kind {
	VALUE,	   /* a literal for option */
	REF,	   /* {name, key} of a Secret holding option */
	ENDPOINT,  /* a literal API endpoint: credentials must then come from Secrets */
	ALGORITHM, /* cert-manager's TSIG algorithm names */
	PROTOCOL,  /* cert-manager's rfc2136 "TCP"/"UDP": the plugin picks by size */
	AMBIGUOUS, /* alidns accessKeySecretRef: ID or secret, by its neighbours */
	API_KEY,   /* cnfatal's apiKeySecretRef {name}: fixed keys in one Secret */
	INLINE,	   /* a secret written into the Issuer (cnfatal): taken, with a warning */
	SECRET,	   /* a secret option given as a value: refused, its SecretRef named */
	UNSUPPORTED
};

struct field {
	const char *name; /* as in the Issuer, matched case-insensitively */
	const char *option;
	enum kind kind;
};

/* cert-manager's built-in rfc2136 solver (spec 6.4). */
static const struct field rfc2136_fields[] = {
	{"nameserver", "nameserver", VALUE},
	{"tsigKeyName", "tsig_key", VALUE},
	{"tsigAlgorithm", "tsig_algorithm", ALGORITHM},
	{"tsigSecretSecretRef", "tsig_secret", REF},
	{"protocol", NULL, PROTOCOL},
	{"zone", "zone", VALUE},
	{NULL, NULL, VALUE},
};

/* cert-manager's built-in route53 solver (spec 6.3). */
static const struct field route53_fields[] = {
	{"region", "region", VALUE},
	{"hostedZoneID", "hosted_zone_id", VALUE},
	{"accessKeyID", "access_key_id", VALUE},
	{"accessKeyIDSecretRef", "access_key_id", REF},
	{"secretAccessKeySecretRef", "secret_access_key", REF},
	{"role", "assume_role_arn", VALUE}, /* assumed with the keys found */
	{"auth", NULL, UNSUPPORTED},
	{NULL, NULL, VALUE},
};

/* Every dialect of the existing alidns webhooks (spec 6.5). */
static const struct field alidns_fields[] = {
	{"regionId", "region", VALUE},
	{"region", "region", VALUE},
	{"endpoint", "endpoint", ENDPOINT},
	{"accessKeyIDSecretRef", "access_key_id", REF},
	{"accessKeyIdRef", "access_key_id", REF},	  /* wjiec */
	{"accessTokenSecretRef", "access_key_id", REF}, /* DEVmachine-fr */
	{"accessKeyRef", "access_key_id", REF},		  /* suisrc */
	{"accessKeySecretSecretRef", "access_key_secret", REF},
	{"secretKeySecretRef", "access_key_secret", REF}, /* pragkent, DEVmachine-fr */
	{"secretAccessKeyRef", "access_key_secret", REF}, /* wjiec */
	{"secretKeyRef", "access_key_secret", REF},	  /* suisrc */
	{"accessKeySecretRef", NULL, AMBIGUOUS},	  /* pragkent: the ID; wjiec: the secret */
	{"securityTokenSecretRef", "security_token", REF},
	{"apiKeySecretRef", NULL, API_KEY}, /* cnfatal */
	{"accessKeyID", "access_key_id", INLINE},
	{"accessKeySecret", "access_key_secret", INLINE},
	{"role", "role_arn", VALUE},
	{"rolename", NULL, UNSUPPORTED}, /* ri0day's ECS RAM role */
	{"zoneName", "zone", VALUE},
	{"ttl", "ttl", VALUE},
	{NULL, NULL, VALUE},
};

const char *da_issuer_plugin_of(const char *solver)
{
	return strcmp(solver, "alidns-solver") == 0 ? "alidns" : solver;
}

static const struct field *fields_of(const char *plugin)
{
	if (strcmp(plugin, "rfc2136") == 0)
		return rfc2136_fields;
	if (strcmp(plugin, "route53") == 0)
		return route53_fields;
	if (strcmp(plugin, "alidns") == 0)
		return alidns_fields;
	return NULL;
}

/*
 * Options an Issuer may never set: files of the server (KEY_file, token and
 * credential files, shared configs and profiles in them) and credential
 * endpoints on its network (instance metadata, container agents).
 */
static int refused_option(const char *key)
{
	size_t len = strlen(key);

	return (len > 5 && strcmp(key + len - 5, "_file") == 0) ||
	       (len > 4 && strcmp(key + len - 4, "_uri") == 0) || strcmp(key, "profile") == 0 ||
	       strncmp(key, "container_", 10) == 0 || strncmp(key, "ec2_metadata", 12) == 0;
}

/* tsig_key -> tsigKey; with suffix appended ("SecretRef"). */
static void camel(const char *key, const char *suffix, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = key; *p && o + 1 < size; p++) {
		if (*p == '_' && p[1] != '\0')
			out[o++] = (char)toupper((unsigned char)*++p);
		else
			out[o++] = *p;
	}
	out[o] = '\0';
	snprintf(out + o, size - o, "%s", suffix);
}

/* A generic field of provider's table, named like field. */
static int generic_field(const struct dnsacme_provider *provider, const char *name,
			 struct field *out)
{
	for (const struct dnsacme_option *o = provider->options; o && o->key; o++) {
		char plain[96], ref[96];

		if (refused_option(o->key))
			continue;
		camel(o->key, "", plain, sizeof(plain));
		camel(o->key, "SecretRef", ref, sizeof(ref));
		if (strcasecmp(name, ref) == 0 && (o->flags & DNSACME_OPT_SECRET)) {
			*out = (struct field){name, o->key, REF};
			return 1;
		}
		if (strcasecmp(name, plain) == 0) {
			*out = (struct field){name, o->key,
					      (o->flags & DNSACME_OPT_SECRET) ? SECRET
					      : strstr(o->key, "endpoint") ? ENDPOINT
									   : VALUE};
			return 1;
		}
	}
	return 0;
}

static const struct field *find(const struct field *fields, const char *name)
{
	for (const struct field *f = fields; f && f->name; f++)
		if (strcasecmp(f->name, name) == 0)
			return f;
	return NULL;
}

/* A member of config by name, case-insensitively. */
static const json_t *member(const json_t *config, const char *name)
{
	const char *key;
	json_t *value;

	json_object_foreach((json_t *)config, key, value)
		if (strcasecmp(key, name) == 0)
			return value;
	return NULL;
}

/* A literal as text: strings, integers, booleans; "" is unset (*text NULL). */
static enum da_code literal(const json_t *value, const char *field, char *buf, size_t size,
			    const char **text, struct da_err *err)
{
	*text = NULL;
	if (json_is_string(value)) {
		if (json_string_length(value) >= size || memchr(json_string_value(value), 0,
								json_string_length(value)))
			return da_err_set(err, DA_ERR_CONFIG, "config.%s: too long, or not text",
					  field);
		snprintf(buf, size, "%s", json_string_value(value));
	} else if (json_is_integer(value)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(value));
	} else if (json_is_boolean(value)) {
		snprintf(buf, size, "%s", json_is_true(value) ? "true" : "false");
	} else {
		return da_err_set(err, DA_ERR_CONFIG, "config.%s: expected a string or a number",
				  field);
	}
	for (const char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20)
			return da_err_set(err, DA_ERR_CONFIG, "config.%s: control characters",
					  field);
	*text = buf[0] ? buf : NULL;
	return DA_OK;
}

static enum da_code add_ref(struct da_issuer_config *c, const char *option, const char *field,
			    const char *name, const char *key, struct da_err *err)
{
	struct da_issuer_ref *r;

	if (c->n_refs == DA_ISSUER_MAX_REFS)
		return da_err_set(err, DA_ERR_CONFIG, "config: too many Secret references");
	r = &c->refs[c->n_refs];
	r->option = option;
	r->field = field;
	r->name = strdup(name);
	r->key = strdup(key);
	if (r->name == NULL || r->key == NULL) {
		free(r->name);
		free(r->key);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	c->n_refs++;
	return DA_OK;
}

/* {name, key}: both non-empty strings. */
static enum da_code secret_ref(struct da_issuer_config *c, const json_t *value,
			       const char *option, const char *field, struct da_err *err)
{
	const char *name = json_string_value(json_object_get(value, "name"));
	const char *key = json_string_value(json_object_get(value, "key"));

	if (!json_is_object(value) || name == NULL || name[0] == '\0' || key == NULL ||
	    key[0] == '\0')
		return da_err_set(err, DA_ERR_CONFIG,
				  "config.%s: expected {\"name\": SECRET, \"key\": KEY}", field);
	return add_ref(c, option, field, name, key, err);
}

static const char *tsig_algorithm(const char *given)
{
	static const char *const names[][2] = {
		{"HMACMD5", "hmac-md5"},       {"HMACSHA1", "hmac-sha1"},
		{"HMACSHA224", "hmac-sha224"}, {"HMACSHA256", "hmac-sha256"},
		{"HMACSHA384", "hmac-sha384"}, {"HMACSHA512", "hmac-sha512"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(given, names[i][0]) == 0 || strcasecmp(given, names[i][1]) == 0)
			return names[i][1];
	return NULL;
}

/* One field of config, as f says. */
static enum da_code map_field(struct da_issuer_config *c, const struct field *f,
			      const char *name, const json_t *value, const json_t *config,
			      struct da_err *err)
{
	char buf[1024];
	const char *text = NULL;
	enum da_code rc = DA_OK;

	switch (f->kind) {
	case REF:
		return secret_ref(c, value, f->option, f->name, err);
	case AMBIGUOUS:
		if (member(config, "secretKeySecretRef") != NULL)
			return secret_ref(c, value, "access_key_id", "accessKeySecretRef", err);
		if (member(config, "accessKeyIdRef") || member(config, "accessKeyIDSecretRef"))
			return secret_ref(c, value, "access_key_secret", "accessKeySecretRef", err);
		return da_err_set(err, DA_ERR_CONFIG,
				  "config.accessKeySecretRef alone is ambiguous: pragkent's webhook "
				  "reads it as the AccessKey ID (with secretKeySecretRef), wjiec's as "
				  "the secret (with accessKeyIdRef); use accessKeyIDSecretRef and "
				  "accessKeySecretSecretRef");
	case API_KEY: {
		const char *secret = json_string_value(json_object_get(value, "name"));

		if (secret == NULL || secret[0] == '\0')
			return da_err_set(err, DA_ERR_CONFIG,
					  "config.apiKeySecretRef: expected {\"name\": SECRET}");
		rc = add_ref(c, "access_key_id", "apiKeySecretRef", secret, "access-key|accessKeyID",
			     err);
		return rc == DA_OK ? add_ref(c, "access_key_secret", "apiKeySecretRef", secret,
					     "secret-key|accessKeySecret", err)
				   : rc;
	}
	case SECRET:
		return da_err_set(err, DA_ERR_CONFIG,
				  "config.%s is a secret: put it in a Secret and give %sSecretRef "
				  "{name, key}",
				  name, name);
	case UNSUPPORTED:
		return da_err_set(err, DA_ERR_CONFIG,
				  "config.%s is not supported: give the credentials in Secrets, or "
				  "allow ambient credentials",
				  name);
	case PROTOCOL:
		rc = literal(value, name, buf, sizeof(buf), &text, err);
		if (rc == DA_OK && text && strcmp(text, "TCP") != 0 && strcmp(text, "UDP") != 0)
			rc = da_err_set(err, DA_ERR_CONFIG, "config.protocol: TCP or UDP, not %.20s",
					text);
		return rc; /* the plugin picks UDP or TCP by size and truncation */
	default:
		break;
	}
	rc = literal(value, name, buf, sizeof(buf), &text, err);
	if (rc != DA_OK || text == NULL)
		return rc;
	if (f->kind == ALGORITHM && (text = tsig_algorithm(text)) == NULL)
		return da_err_set(err, DA_ERR_CONFIG,
				  "config.tsigAlgorithm: HMACMD5, HMACSHA1, HMACSHA256 or HMACSHA512");
	if (f->kind == ENDPOINT)
		c->endpoint_given = 1;
	if (f->kind == INLINE) {
		c->inline_secret = 1;
		snprintf(c->warning, sizeof(c->warning),
			 "config.%s holds a secret in the Issuer, readable by whoever can read "
			 "Issuers: move it to a Secret (%sSecretRef)",
			 name, name);
	}
	return da_plugin_settings_add(&c->settings, f->option, text, err);
}

enum da_code da_issuer_config_map(const char *solver, const json_t *config,
				  const struct dnsacme_provider *provider, int lenient,
				  struct da_issuer_config *out, struct da_err *err)
{
	const struct field *fields = fields_of(da_issuer_plugin_of(solver));
	struct da_buf unknown = {0};
	const char *name;
	json_t *value;
	enum da_code rc = DA_OK;

	memset(out, 0, sizeof(*out));
	if (config == NULL || json_is_null(config))
		return DA_OK;
	if (!json_is_object(config))
		return da_err_set(err, DA_ERR_CONFIG, "config: expected an object");
	json_object_foreach((json_t *)config, name, value) {
		const struct field *f = find(fields, name);
		struct field generic;

		if (f == NULL && generic_field(provider, name, &generic))
			f = &generic;
		if (f == NULL) {
			if (da_buf_printf(&unknown, "%s%s", unknown.len ? ", " : "", name) != 0)
				rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
			continue;
		}
		rc = map_field(out, f, name, value, config, err);
		if (rc != DA_OK)
			break;
	}
	/* cert-manager's rfc2136 default, kept for Issuers written for it. */
	if (rc == DA_OK && strcmp(solver, "rfc2136") == 0 && member(config, "tsigKeyName") &&
	    !member(config, "tsigAlgorithm")) {
		rc = da_plugin_settings_add(&out->settings, "tsig_algorithm", "hmac-md5", err);
		snprintf(out->warning, sizeof(out->warning),
			 "config.tsigAlgorithm is not given: HMACMD5, cert-manager's default; "
			 "prefer HMACSHA256");
	}
	if (rc == DA_OK && unknown.len > 0) {
		if (lenient)
			snprintf(out->warning, sizeof(out->warning),
				 "config: unknown keys ignored (--lenient-config): %.200s",
				 unknown.data);
		else
			rc = da_err_set(err, DA_ERR_CONFIG, "config: unknown keys for solver %s: %.300s",
					solver, unknown.data);
	}
	da_buf_free(&unknown);
	if (rc != DA_OK)
		da_issuer_config_clear(out);
	return rc;
}

void da_issuer_config_clear(struct da_issuer_config *c)
{
	da_plugin_settings_clear(&c->settings);
	for (size_t i = 0; i < c->n_refs; i++) {
		free(c->refs[i].name);
		free(c->refs[i].key);
	}
	memset(c, 0, sizeof(*c));
}

static const char *setting(const struct da_plugin_settings *s, const char *key)
{
	const char *value = NULL;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[i].key, key) == 0)
			value = s->items[i].value;
	return value;
}

enum da_code da_issuer_config_check(const char *solver, const struct da_plugin_settings *settings,
				    struct da_err *err)
{
	const char *id = setting(settings, "access_key_id");
	const char *secret = setting(settings, "access_key_secret");

	if (strcmp(da_issuer_plugin_of(solver), "alidns") != 0 || id == NULL || secret == NULL)
		return DA_OK;
	if (strncmp(id, "LTAI", 4) != 0 && strncmp(id, "STS.", 4) != 0 &&
	    (strncmp(secret, "LTAI", 4) == 0 || strncmp(secret, "STS.", 4) == 0))
		return da_err_set(err, DA_ERR_CONFIG,
				  "the AccessKey ID and secret look swapped (the secret's Secret "
				  "holds an ID starting LTAI or STS.): check which ref names which");
	return DA_OK;
}
