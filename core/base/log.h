/* Leveled logging to one stream, with every registered secret redacted. */
#ifndef DA_BASE_LOG_H
#define DA_BASE_LOG_H

#include <stdarg.h>
#include <stdio.h>

#include "dnsacme/types.h"

struct da_log {
	enum dnsacme_log_level level; /* lines above this level are dropped */
	FILE *out;		      /* not owned */
	char **secrets;		      /* owned copies, replaced by "***" */
	size_t n_secrets;
};

void da_log_init(struct da_log *log, enum dnsacme_log_level level, FILE *out);
void da_log_free(struct da_log *log);

/* Register a value that must never be printed. Values shorter than 4
 * characters are ignored (they would redact ordinary text). 0 or -1 (nomem). */
int da_log_add_secret(struct da_log *log, const char *value);

void da_logf(const struct da_log *log, enum dnsacme_log_level level, const char *fmt, ...)
	DNSACME_PRINTF(3, 4);
void da_vlogf(const struct da_log *log, enum dnsacme_log_level level, const char *fmt,
	      va_list ap) DNSACME_PRINTF(3, 0);

/* Replace every secret in the NUL-terminated text (in place, size bytes). */
void da_log_redact(const struct da_log *log, char *text, size_t size);

#endif
