/* The webhook's metrics: see metrics.h. */
#include "webhook/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[DA_METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
						  0.5,	 1,    2.5,   5,    10,	 30};

void da_metrics_init(struct da_metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

void da_metrics_free(struct da_metrics *m)
{
	pthread_mutex_destroy(&m->lock);
}

void da_metrics_request(struct da_metrics *m, const char *solver, const char *action,
			const char *error, double seconds)
{
	const char *e = error ? error : "";
	size_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->n_series; i++)
		if (strcmp(m->series[i].solver, solver) == 0 &&
		    strcmp(m->series[i].action, action) == 0 && strcmp(m->series[i].error, e) == 0)
			break;
	if (i == m->n_series && i < DA_METRICS_SERIES) {
		snprintf(m->series[i].solver, sizeof(m->series[i].solver), "%s", solver);
		snprintf(m->series[i].action, sizeof(m->series[i].action), "%s", action);
		snprintf(m->series[i].error, sizeof(m->series[i].error), "%s", e);
		m->n_series++;
	}
	if (i < DA_METRICS_SERIES)
		m->series[i].count++;
	for (size_t b = 0; b < DA_METRICS_BUCKETS; b++)
		if (seconds <= bounds[b]) {
			m->buckets[b]++;
			break;
		}
	m->observations++;
	m->seconds += seconds;
	pthread_mutex_unlock(&m->lock);
}

char *da_metrics_text(struct da_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	unsigned long cumulative = 0;

	if (out == NULL)
		return NULL;
	pthread_mutex_lock(&m->lock);
	fputs("# HELP dnsacme_webhook_requests_total Present and CleanUp requests answered.\n"
	      "# TYPE dnsacme_webhook_requests_total counter\n",
	      out);
	for (size_t i = 0; i < m->n_series; i++)
		fprintf(out,
			"dnsacme_webhook_requests_total{solver=\"%s\",action=\"%s\",result=\"%s\"} "
			"%lu\n",
			m->series[i].solver, m->series[i].action,
			m->series[i].error[0] ? "failure" : "success", m->series[i].count);
	fputs("# HELP dnsacme_webhook_provider_errors_total Failed requests by error code.\n"
	      "# TYPE dnsacme_webhook_provider_errors_total counter\n",
	      out);
	for (size_t i = 0; i < m->n_series; i++)
		if (m->series[i].error[0])
			fprintf(out,
				"dnsacme_webhook_provider_errors_total{solver=\"%s\",code=\"%s\"} "
				"%lu\n",
				m->series[i].solver, m->series[i].error, m->series[i].count);
	fputs("# HELP dnsacme_webhook_request_duration_seconds Time to answer a request.\n"
	      "# TYPE dnsacme_webhook_request_duration_seconds histogram\n",
	      out);
	for (size_t b = 0; b < DA_METRICS_BUCKETS; b++) {
		cumulative += m->buckets[b];
		fprintf(out, "dnsacme_webhook_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
			bounds[b], cumulative);
	}
	fprintf(out,
		"dnsacme_webhook_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n"
		"dnsacme_webhook_request_duration_seconds_sum %.6f\n"
		"dnsacme_webhook_request_duration_seconds_count %lu\n",
		m->observations, m->seconds, m->observations);
	pthread_mutex_unlock(&m->lock);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
