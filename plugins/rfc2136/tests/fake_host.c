#include "fake_host.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void fake_log(const struct dnsacme_host *host, enum dnsacme_log_level level,
		     const char *fmt, ...) DNSACME_PRINTF(3, 4);
static void fake_error(const struct dnsacme_host *host, const char *fmt, ...)
	DNSACME_PRINTF(2, 3);

static void fake_log(const struct dnsacme_host *host, enum dnsacme_log_level level,
		     const char *fmt, ...)
{
	struct fake_host *fh = (struct fake_host *)host;
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "[plugin %d] %s\n", (int)level, line);
	if (fh->count_pattern != NULL && strstr(line, fh->count_pattern) != NULL)
		fh->count++;
}

static void fake_error(const struct dnsacme_host *host, const char *fmt, ...)
{
	struct fake_host *fh = (struct fake_host *)host;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fh->error, sizeof(fh->error), fmt, ap);
	va_end(ap);
}

static const char *fake_config_get(const struct dnsacme_host *host, const char *key)
{
	const struct fake_host *fh = (const struct fake_host *)host;

	for (const char *const *kv = fh->config; kv[0] != NULL; kv += 2)
		if (strcmp(kv[0], key) == 0)
			return kv[1];
	return NULL;
}

static void fake_add_secret(const struct dnsacme_host *host, const char *value)
{
	struct fake_host *fh = (struct fake_host *)host;

	snprintf(fh->secret, sizeof(fh->secret), "%s", value);
}

void fake_host_init(struct fake_host *fh, const char *const *config)
{
	memset(fh, 0, sizeof(*fh));
	fh->host.abi_version = DNSACME_PLUGIN_ABI_VERSION;
	fh->host.log = fake_log;
	fh->host.error = fake_error;
	fh->host.config_get = fake_config_get;
	fh->host.add_secret = fake_add_secret;
	fh->config = config;
}

const struct dnsacme_provider *fake_host_load(const char *path)
{
	void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	dnsacme_plugin_fn fn;

	if (so == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return NULL;
	}
	*(void **)&fn = dlsym(so, DNSACME_PLUGIN_SYMBOL);
	if (fn == NULL) {
		fprintf(stderr, "dlsym %s: %s\n", DNSACME_PLUGIN_SYMBOL, dlerror());
		return NULL;
	}
	return fn();
}
