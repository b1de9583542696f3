/*
 * The V1 signature against every vector of alibaba-rpc-v1-hmac-sha1.json
 * (computed with Alibaba's own SDKs), byte for byte: canonical query, string
 * to sign, signature, and the final GET URL or POST form body. Likewise V3
 * against alibaba-v3-acs3-hmac-sha256.json: signed headers, canonical request,
 * string to sign, Authorization.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "sign.h"

/* The signing inputs of one vector, pointing into the JSON document. */
struct vector {
	struct alidns_credentials creds;
	struct alidns_sign_input in;
	struct alidns_param params[32];
	size_t n_params;
};

static const char *str_or_null(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void load_params(struct vector *v, json_t *obj)
{
	const char *name;
	json_t *value;

	json_object_foreach(obj, name, value) {
		if (strcmp(name, "Signature") == 0 || v->n_params == 32)
			continue;
		v->params[v->n_params].name = name;
		v->params[v->n_params].value = json_string_value(value);
		v->n_params++;
	}
}

static void load_vector(struct vector *v, json_t *inputs)
{
	const char *version = str_or_null(inputs, "api_version");

	memset(v, 0, sizeof(*v));
	v->creds.access_key_id = str_or_null(inputs, "access_key_id");
	v->creds.access_key_secret = str_or_null(inputs, "access_key_secret");
	v->creds.security_token = str_or_null(inputs, "security_token");
	v->in.method = str_or_null(inputs, "http_method");
	v->in.action = str_or_null(inputs, "action");
	v->in.version = version ? version : "2015-01-09";
	v->in.timestamp = str_or_null(inputs, "timestamp");
	v->in.nonce = str_or_null(inputs, "signature_nonce");
	v->in.creds = &v->creds;
	load_params(v, json_object_get(inputs, "params"));
}

/* The query string decoded back into a JSON object, for set comparison. */
static json_t *decode_query(const char *query)
{
	json_t *obj = json_object();
	char *copy = strdup(query), *save = NULL;

	for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '='), *out;
		const char *in;

		if (eq == NULL)
			continue;
		*eq = '\0';
		for (in = eq + 1, out = eq + 1; *in; out++) {
			if (*in == '%' && in[1] && in[2]) {
				char hex[3] = {in[1], in[2], '\0'};

				*out = (char)strtol(hex, NULL, 16);
				in += 3;
			} else {
				*out = *in++;
			}
		}
		*out = '\0';
		json_object_set_new(obj, pair, json_string(eq + 1));
	}
	free(copy);
	return obj;
}

static void check_vector(json_t *vec)
{
	json_t *inputs = json_object_get(vec, "inputs");
	json_t *expected = json_object_get(vec, "expected");
	json_t *sent = json_object_get(expected, "query_params_sent");
	const char *endpoint = str_or_null(inputs, "endpoint");
	struct alidns_signed s;
	struct vector v;

	load_vector(&v, inputs);
	if (sent != NULL) { /* the new SDK's vector lists the full set as sent */
		v.n_params = 0;
		load_params(&v, sent);
	}
	printf("vector %s\n", str_or_null(vec, "name"));
	CHECK(alidns_sign(&v.in, v.params, v.n_params, &s) == DNSACME_OK);
	if (s.query == NULL)
		return;
	CHECK_STR(s.signature, str_or_null(expected, "signature_base64"));
	if (sent != NULL) {
		json_t *got = decode_query(s.query);

		CHECK(json_equal(got, sent));
		json_decref(got);
	} else {
		CHECK_STR(s.canonical_query, str_or_null(expected, "canonicalized_query_string"));
		CHECK_STR(s.string_to_sign, str_or_null(expected, "string_to_sign"));
	}
	if (endpoint != NULL && strcmp(v.in.method, "GET") == 0) {
		size_t len = strlen(endpoint) + strlen(s.query) + 2;
		char *url = malloc(len);

		snprintf(url, len, "%s?%s", endpoint, s.query);
		CHECK_STR(url, str_or_null(expected, "request_url"));
		free(url);
	} else if (endpoint != NULL) {
		CHECK_STR(s.query, str_or_null(expected, "request_body"));
	}
	alidns_signed_free(&s);
}

static void test_vectors(void)
{
	json_error_t jerr;
	json_t *doc = json_load_file(ALIDNS_V1_VECTORS, 0, &jerr);
	json_t *vectors = json_object_get(doc, "vectors"), *vec;
	size_t i;

	CHECK(json_array_size(vectors) >= 13);
	json_array_foreach(vectors, i, vec)
		check_vector(vec);
	json_decref(doc);
}

static void check_vector_v3(json_t *vec)
{
	json_t *inputs = json_object_get(vec, "inputs");
	json_t *expected = json_object_get(vec, "expected");
	json_t *signed_headers = json_object_get(expected, "signed_headers_sent");
	json_t *query = json_object_get(inputs, "params"), *got;
	const char *host = str_or_null(inputs, "host");
	struct alidns_param headers[ALIDNS_V3_MAX_HEADERS];
	struct alidns_signed_v3 s;
	struct vector v;
	size_t n;

	if (query == NULL) /* Alibaba's documented example names them "query" */
		query = json_object_get(inputs, "query");
	if (host == NULL) /* the regional vector gives the region; its host is signed */
		host = str_or_null(signed_headers, "host");
	load_vector(&v, inputs);
	v.n_params = 0;
	load_params(&v, query);
	v.in.method = str_or_null(expected, "http_method");
	v.in.version = str_or_null(inputs, "version");
	v.in.timestamp = str_or_null(inputs, "x_acs_date");
	v.in.nonce = str_or_null(inputs, "x_acs_signature_nonce");
	printf("vector %s\n", str_or_null(vec, "name"));
	CHECK(alidns_sign_v3(&v.in, host, v.params, v.n_params, &s) == DNSACME_OK);
	if (s.authorization == NULL)
		return;
	n = alidns_v3_headers(&v.in, host, s.content_sha256, headers);
	got = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(got, headers[i].name, json_string(headers[i].value));
	CHECK(json_equal(got, signed_headers));
	json_decref(got);
	CHECK_STR(s.content_sha256, str_or_null(expected, "hashed_payload"));
	CHECK_STR(s.canonical_request, str_or_null(expected, "canonical_request"));
	CHECK_STR(s.string_to_sign, str_or_null(expected, "string_to_sign"));
	CHECK_STR(s.authorization, str_or_null(expected, "authorization"));
	alidns_signed_v3_free(&s);
}

static void test_vectors_v3(void)
{
	json_error_t jerr;
	json_t *doc = json_load_file(ALIDNS_V3_VECTORS, 0, &jerr);
	json_t *vectors = json_object_get(doc, "vectors"), *vec;
	size_t i, skipped = 0;

	CHECK(json_array_size(vectors) >= 8);
	json_array_foreach(vectors, i, vec) {
		/* The SDK's optional x-acs-credentials-provider header is not sent. */
		if (json_object_get(json_object_get(json_object_get(vec, "expected"),
						    "signed_headers_sent"),
				    "x-acs-credentials-provider") != NULL) {
			skipped++;
			continue;
		}
		check_vector_v3(vec);
	}
	CHECK(skipped == 1);
	json_decref(doc);
}

static void test_encode(void)
{
	struct alidns_sb sb = {0};
	char *s;

	alidns_sb_encode(&sb, "AZaz09-_.~ +*/%\xc3\xa9");
	s = alidns_sb_take(&sb);
	CHECK_STR(s, "AZaz09-_.~%20%2B%2A%2F%25%C3%A9");
	free(s);
	s = alidns_sb_take(&sb);
	CHECK_STR(s, "");
	free(s);
}

static void test_timestamp(void)
{
	char ts[ALIDNS_TIMESTAMP_SIZE];

	alidns_timestamp(1705307400, ts);
	CHECK_STR(ts, "2024-01-15T08:30:00Z");
}

int main(void)
{
	test_vectors();
	test_vectors_v3();
	test_encode();
	test_timestamp();
	return check_report();
}
