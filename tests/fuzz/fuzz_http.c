/*
 * libFuzzer target for what the HTTP client reads from a server's headers
 * (core/http/http.c): the input's lines go through the header line parser as
 * libcurl hands them over; the headers found, through the lookups and the
 * Retry-After reader (delta-seconds and HTTP-date); the input as a URL,
 * through the host check that decides on proxies.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/http.h"

#define MAX_LINES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsacme_http_header headers[MAX_LINES];
	struct dnsacme_http_response resp = {0};
	const char *line = (const char *)data, *end = line + size;
	const char **links;
	char *url;
	size_t n = 0, n_links;

	while (line < end && n < MAX_LINES) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl != NULL ? (size_t)(nl + 1 - line) : (size_t)(end - line);

		if (da_http_header_parse(line, len, &headers[n]) > 0)
			n++;
		line += len;
	}
	resp.status = 503;
	resp.headers = headers;
	resp.n_headers = n;
	da_http_retry_after_ms(&resp, 1767225600); /* 2026-01-01: dates on both sides */
	da_http_header(&resp, "replay-nonce");
	links = da_http_headers(&resp, "link", &n_links);
	free(links);
	for (size_t i = 0; i < n; i++)
		free((char *)headers[i].name);

	url = malloc(size + 1);
	if (url != NULL) {
		memcpy(url, data, size);
		url[size] = '\0';
		da_http_url_host(url);
		free(url);
	}
	return 0;
}
