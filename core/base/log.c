#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void da_log_init(struct da_log *log, enum dnsacme_log_level level, FILE *out)
{
	memset(log, 0, sizeof(*log));
	log->level = level;
	log->out = out;
}

void da_log_free(struct da_log *log)
{
	for (size_t i = 0; i < log->n_secrets; i++) {
		/* Secrets leave no copy behind in freed memory. */
		memset(log->secrets[i], 0, strlen(log->secrets[i]));
		free(log->secrets[i]);
	}
	free(log->secrets);
	log->secrets = NULL;
	log->n_secrets = 0;
}

int da_log_add_secret(struct da_log *log, const char *value)
{
	char **grown, *copy;

	if (value == NULL || strlen(value) < 4)
		return 0;
	for (size_t i = 0; i < log->n_secrets; i++)
		if (strcmp(log->secrets[i], value) == 0)
			return 0;
	grown = realloc(log->secrets, (log->n_secrets + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	log->secrets = grown;
	copy = strdup(value);
	if (copy == NULL)
		return -1;
	log->secrets[log->n_secrets++] = copy;
	return 0;
}

void da_log_redact(const struct da_log *log, char *text, size_t size)
{
	static const char mask[] = "***";

	for (size_t i = 0; i < log->n_secrets; i++) {
		const char *secret = log->secrets[i];
		size_t slen = strlen(secret);
		char *hit;

		while ((hit = strstr(text, secret)) != NULL) {
			size_t tail = strlen(hit + slen) + 1;

			/* mask is never longer than a secret (>= 4 chars). */
			memcpy(hit, mask, sizeof(mask) - 1);
			memmove(hit + sizeof(mask) - 1, hit + slen, tail);
		}
	}
	(void)size;
}

void da_vlogf(const struct da_log *log, enum dnsacme_log_level level, const char *fmt,
	      va_list ap)
{
	static const char *const prefix[] = {"error", "warning", "info", "debug"};
	char *line = NULL;

	if (log == NULL || log->out == NULL || level > log->level)
		return;
	/* Whole, then redacted: a line cut to a fixed buffer first could end in
	 * the start of a secret, which redaction would no longer recognise. */
	if (vasprintf(&line, fmt, ap) < 0) {
		fprintf(log->out, "dnsacme: %s: (out of memory for a log line)\n", prefix[level]);
		return;
	}
	da_log_redact(log, line, strlen(line) + 1);
	fprintf(log->out, "dnsacme: %s: %s\n", prefix[level], line);
	fflush(log->out);
	free(line);
}

void da_logf(const struct da_log *log, enum dnsacme_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	da_vlogf(log, level, fmt, ap);
	va_end(ap);
}
