/*
 * A throwaway BIND named for tests that need a real DNS server. It serves UDP
 * and TCP on one free port of 127.0.0.1 and ::1, from a temporary directory
 * that holds its config, its log (query log included) and the files the test
 * hands it, and it dies with the test (PR_SET_PDEATHSIG) even on a crash.
 * Recursion, DNSSEC validation and NOTIFY are off.
 */
#ifndef DNSACME_TEST_NAMED_H
#define DNSACME_TEST_NAMED_H

#include <sys/types.h>

struct test_named {
	pid_t pid;    /* 0 when not running */
	int port;     /* on 127.0.0.1 and ::1 */
	char dir[64]; /* the server's directory; "" when there is none */
};

/*
 * Starts named and waits until it runs with its zones loaded. conf follows
 * the options block in named.conf: keys and zones, whose relative file names
 * resolve in n->dir. files is NULL or a NULL-terminated list of name, text
 * pairs written into n->dir first: zone files named may update (it keeps
 * their journals beside them). Returns 0, or -1 after saying why on stderr
 * (with named's log, if it got that far) and cleaning up.
 */
int test_named_start(struct test_named *n, const char *conf, const char *const *files);

/* How many lines of named's log hold needle ("query: NAME IN TXT ..."). */
int test_named_log_count(const struct test_named *n, const char *needle);

/* Stops named and removes its directory; does nothing on a zeroed struct. */
void test_named_stop(struct test_named *n);

#endif
