/* The fuzz targets' shared parts: see fuzz.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-input", 0);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		return NULL;
	return path;
}

static struct {
	const char *const *config;
	const char *next, *end; /* the answers not yet given */
	int done;		/* the last one was given */
} fake;

static void host_log(const struct dnsacme_host *host, enum dnsacme_log_level level,
		     const char *fmt, ...) DNSACME_PRINTF(3, 4);
static void host_error(const struct dnsacme_host *host, const char *fmt, ...)
	DNSACME_PRINTF(2, 3);

/* Formatted anyway: a bad format argument is a bug the fuzzer should see. */
static void host_log(const struct dnsacme_host *host, enum dnsacme_log_level level,
		     const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	(void)host;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

static void host_error(const struct dnsacme_host *host, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	(void)host;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

static const char *host_config_get(const struct dnsacme_host *host, const char *key)
{
	(void)host;
	for (size_t i = 0; fake.config[i] != NULL; i += 2)
		if (strcmp(fake.config[i], key) == 0)
			return fake.config[i + 1];
	return NULL;
}

static void host_add_secret(const struct dnsacme_host *host, const char *value)
{
	(void)host;
	(void)value;
}

/* The next answer, [*start, *start + *len); the one after starts past "\n%%\n". */
static void next_answer(const char **start, size_t *len)
{
	const char *sep = memmem(fake.next, (size_t)(fake.end - fake.next), "\n%%\n", 4);

	*start = fake.next;
	*len = (size_t)((sep != NULL ? sep : fake.end) - fake.next);
	if (sep != NULL)
		fake.next = sep + 4;
	else
		fake.done = 1;
}

static enum dnsacme_status host_http(const struct dnsacme_host *host,
				     const struct dnsacme_http_request *req,
				     struct dnsacme_http_response *resp)
{
	const char *answer, *nl, *body;
	size_t len, body_len;

	(void)host;
	(void)req;
	memset(resp, 0, sizeof(*resp));
	if (fake.done)
		return DNSACME_ERR_NETWORK;
	next_answer(&answer, &len);
	/* The input has no NUL: the status is read within the answer. */
	for (size_t i = 0; i < len && i < 3 && answer[i] >= '0' && answer[i] <= '9'; i++)
		resp->status = resp->status * 10 + (answer[i] - '0');
	nl = memchr(answer, '\n', len);
	body = nl != NULL ? nl + 1 : answer + len;
	body_len = (size_t)(answer + len - body);
	resp->body = malloc(body_len + 1);
	if (resp->body == NULL)
		return DNSACME_ERR_NOMEM;
	memcpy(resp->body, body, body_len);
	resp->body[body_len] = '\0';
	resp->body_len = body_len;
	return DNSACME_OK;
}

static void host_http_free(const struct dnsacme_host *host, struct dnsacme_http_response *resp)
{
	(void)host;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static int host_backoff(const struct dnsacme_host *host, unsigned attempt, long min_ms)
{
	(void)host;
	(void)min_ms;
	return attempt > 3; /* no sleeping; give up as an interrupted run would */
}

static const struct dnsacme_host host = {
	.abi_version = DNSACME_PLUGIN_ABI_VERSION,
	.log = host_log,
	.error = host_error,
	.config_get = host_config_get,
	.add_secret = host_add_secret,
	.http = host_http,
	.http_free = host_http_free,
	.backoff = host_backoff,
};

const struct dnsacme_host *fuzz_host(const char *const *config, const uint8_t *data,
				     size_t size)
{
	fake.config = config;
	fake.next = (const char *)data;
	fake.end = (const char *)data + size;
	fake.done = 0;
	return &host;
}
