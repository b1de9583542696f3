/*
 * The webhook's Prometheus metrics: requests by solver, action and result,
 * their latency, provider errors by code. Safe from every thread.
 */
#ifndef DA_WEBHOOK_METRICS_H
#define DA_WEBHOOK_METRICS_H

#include <pthread.h>
#include <stddef.h>

#define DA_METRICS_SERIES 64
#define DA_METRICS_BUCKETS 12

struct da_metrics {
	pthread_mutex_t lock;
	struct {
		char solver[32], action[16], error[32]; /* error "": success */
		unsigned long count;
	} series[DA_METRICS_SERIES];
	size_t n_series;
	unsigned long buckets[DA_METRICS_BUCKETS]; /* cumulative at output */
	unsigned long observations;
	double seconds;
};

void da_metrics_init(struct da_metrics *m);
void da_metrics_free(struct da_metrics *m);

/* One answered POST; error NULL for success (else the code's name). */
void da_metrics_request(struct da_metrics *m, const char *solver, const char *action,
			const char *error, double seconds);

/* The text exposition format (free()), or NULL when out of memory. */
char *da_metrics_text(struct da_metrics *m);

#endif
