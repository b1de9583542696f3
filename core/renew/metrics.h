/*
 * The node_exporter textfile renew writes after each run (--metrics-textfile):
 * per certificate its expiry, last success and last failure as Unix
 * timestamps (alerts compare them with time(), so nothing goes stale between
 * runs), and the run's counts. Written atomically: the collector never reads
 * half a file.
 */
#ifndef DA_RENEW_METRICS_H
#define DA_RENEW_METRICS_H

#include "renew/renew.h"
#include "renew/state.h"

enum da_code da_renew_metrics_write(const char *path, const struct da_renew_cert *certs,
				    size_t n, const struct da_renew_result *results,
				    const struct da_renew_state *states, struct da_err *err);

#endif
