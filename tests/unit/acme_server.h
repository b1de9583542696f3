/*
 * A scripted HTTP server on loopback for the ACME tests: it answers each
 * request with the next scripted answer, records what it saw, and can set
 * a stop flag when a given request arrives (the signal tests).
 */
#ifndef DNSACME_TEST_ACME_SERVER_H
#define DNSACME_TEST_ACME_SERVER_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

/* One scripted answer; "{base}" in headers and body becomes the server's
 * http://127.0.0.1:port. */
struct script_answer {
	const char *path; /* the request path this answer expects */
	int status;
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *body;
};

struct script_seen {
	char method[8];
	char path[128];
	char *body;
	long at_ms; /* monotonic arrival time */
};

struct script_server {
	int fd;
	char base[64];
	const struct script_answer *script;
	size_t n_script;
	struct script_seen seen[32];
	size_t n_seen;
	volatile sig_atomic_t *stop; /* set when the stop_at-th request arrives */
	size_t stop_at;
	pthread_t thread;
};

/* Milliseconds on the monotonic clock, as in script_seen.at_ms. */
long script_mono_ms(void);

/* Listen on a free port of 127.0.0.1 and serve script[0..n) in a thread;
 * 0, or -1 after saying why. */
int script_server_start(struct script_server *s, const struct script_answer *script, size_t n);

/* Stop the server. Returns how many requests were not for the path their
 * scripted answer expects (each named on stderr): 0 when all were. */
int script_server_stop(struct script_server *s);
void script_server_free(struct script_server *s);

/* A member of request i's JWS protected header ("" when absent), in out. */
const char *script_header_of(const struct script_server *s, size_t i, const char *name,
			     char *out, size_t size);

#endif
