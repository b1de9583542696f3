/* The metrics textfile: see metrics.h. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "renew/metrics.h"
#include "store/store.h"

/* A label value as the text format wants it: \, " and line ends escaped. */
static void label(FILE *out, const char *value)
{
	for (const char *p = value; *p; p++)
		if (*p == '\\' || *p == '"')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
}

static void per_certificate(FILE *out, const char *metric, const char *help,
			    const struct da_renew_cert *certs, size_t n,
			    time_t (*value)(const struct da_renew_result *,
					    const struct da_renew_state *),
			    const struct da_renew_result *results,
			    const struct da_renew_state *states)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
	for (size_t i = 0; i < n; i++) {
		time_t v = value(&results[i], &states[i]);

		if (v == 0)
			continue; /* never happened: no sample rather than 1970 */
		fprintf(out, "%s{name=\"", metric);
		label(out, certs[i].name);
		fprintf(out, "\"} %lld\n", (long long)v);
	}
}

static time_t expiry(const struct da_renew_result *r, const struct da_renew_state *s)
{
	(void)s;
	return r->not_after;
}

static time_t last_success(const struct da_renew_result *r, const struct da_renew_state *s)
{
	(void)r;
	return s->last_success;
}

static time_t last_failure(const struct da_renew_result *r, const struct da_renew_state *s)
{
	(void)r;
	return s->last_failure;
}

enum da_code da_renew_metrics_write(const char *path, const struct da_renew_cert *certs,
				    size_t n, const struct da_renew_result *results,
				    const struct da_renew_state *states, struct da_err *err)
{
	static const enum da_renew_outcome outcomes[] = {DA_RENEW_NOT_DUE, DA_RENEW_RENEWED,
							 DA_RENEW_FAILED};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	enum da_code rc;

	if (out == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	per_certificate(out, "dnsacme_certificate_expiry_timestamp_seconds",
			"notAfter of the certificate in place.", certs, n, expiry, results, states);
	per_certificate(out, "dnsacme_certificate_last_success_timestamp_seconds",
			"When the certificate was last renewed by dnsacme renew.", certs, n,
			last_success, results, states);
	per_certificate(out, "dnsacme_certificate_last_failure_timestamp_seconds",
			"When renewing the certificate last failed.", certs, n, last_failure,
			results, states);
	fprintf(out, "# HELP dnsacme_certificate_failures Renewals of the certificate failed in "
		     "a row.\n# TYPE dnsacme_certificate_failures gauge\n");
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "dnsacme_certificate_failures{name=\"");
		label(out, certs[i].name);
		fprintf(out, "\"} %ld\n", states[i].failures);
	}
	fprintf(out, "# HELP dnsacme_renew_certificates Certificates of the last run, by "
		     "outcome.\n# TYPE dnsacme_renew_certificates gauge\n");
	for (size_t k = 0; k < sizeof(outcomes) / sizeof(outcomes[0]); k++) {
		size_t count = 0;

		for (size_t i = 0; i < n; i++)
			count += results[i].outcome == outcomes[k];
		fprintf(out, "dnsacme_renew_certificates{outcome=\"%s\"} %zu\n",
			outcomes[k] == DA_RENEW_NOT_DUE ? "not_due" : da_renew_outcome_str(outcomes[k]),
			count);
	}
	fprintf(out, "# HELP dnsacme_renew_last_run_timestamp_seconds When the last run ended.\n"
		     "# TYPE dnsacme_renew_last_run_timestamp_seconds gauge\n"
		     "dnsacme_renew_last_run_timestamp_seconds %lld\n",
		(long long)time(NULL));
	if (fclose(out) != 0) {
		free(text);
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	}
	rc = da_store_write_atomic(path, text, len, 0644, err);
	free(text);
	return rc == DA_OK ? DA_OK : da_err_wrap(err, "--metrics-textfile");
}
