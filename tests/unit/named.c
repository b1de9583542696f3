/* A throwaway BIND named for tests: see named.h. */
#include "named.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dnsacme/plugin.h" /* DNSACME_PRINTF */

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 3000

static const char *const named_paths[] = {"/usr/sbin/named", "/usr/local/sbin/named", NULL};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Binds a socket of family and type to port (0: any) on loopback, closes it,
 * and returns the port it got, or -1. */
static int try_port(int family, int type, int port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = family == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	int fd = socket(family, type, 0), got = -1;

	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)port);
		sin6->sin6_addr = in6addr_loopback;
	}
	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		got = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	if (fd >= 0)
		close(fd);
	return got;
}

/* A port free for UDP and TCP on both loopback addresses, or -1: the kernel
 * picks one for UDP on 127.0.0.1, then the other three must take it too. */
static int pick_port(void)
{
	for (int tries = 0; tries < 50; tries++) {
		int port = try_port(AF_INET, SOCK_DGRAM, 0);

		if (port > 0 && try_port(AF_INET, SOCK_STREAM, port) == port &&
		    try_port(AF_INET6, SOCK_DGRAM, port) == port &&
		    try_port(AF_INET6, SOCK_STREAM, port) == port)
			return port;
	}
	return -1;
}

static FILE *open_in_dir(const struct test_named *n, const char *name, const char *mode)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", n->dir, name);
	return fopen(path, mode);
}

static int write_file(const struct test_named *n, const char *name, const char *text)
{
	FILE *f = open_in_dir(n, name, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int write_conf(const struct test_named *n, const char *conf)
{
	FILE *f = open_in_dir(n, "named.conf", "w");

	if (f == NULL)
		return -1;
	fprintf(f,
		"options {\n"
		"\tdirectory \"%1$s\";\n"
		"\tpid-file \"%1$s/named.pid\";\n"
		"\tsession-keyfile \"%1$s/session.key\";\n"
		"\tmanaged-keys-directory \"%1$s\";\n"
		"\tlisten-on port %2$d { 127.0.0.1; };\n"
		"\tlisten-on-v6 port %2$d { ::1; };\n"
		"\trecursion no;\n"
		"\tdnssec-validation no;\n"
		"\tnotify no;\n"
		"\tquerylog yes;\n"
		"};\n"
		"controls { };\n",
		n->dir, n->port);
	fputs(conf, f);
	return fclose(f) == 0 ? 0 : -1;
}

int test_named_log_count(const struct test_named *n, const char *needle)
{
	FILE *f = open_in_dir(n, "named.log", "r");
	char line[1024];
	int count = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		count += strstr(line, needle) != NULL;
	fclose(f);
	return count;
}

/* Says why start failed, with named's log when there is one, and cleans up. */
static int start_failed(struct test_named *n, const char *fmt, ...) DNSACME_PRINTF(2, 3);

static int start_failed(struct test_named *n, const char *fmt, ...)
{
	FILE *log = n->dir[0] != '\0' ? open_in_dir(n, "named.log", "r") : NULL;
	char line[1024];
	va_list ap;

	fputs("test_named: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (log != NULL) {
		fputs("named's log:\n", stderr);
		while (fgets(line, sizeof(line), log) != NULL)
			fputs(line, stderr);
		fclose(log);
	}
	test_named_stop(n);
	return -1;
}

/* The child: named in the foreground (-g), logging to fd. */
static _Noreturn void exec_named(const char *named, const char *conf, int fd, pid_t parent)
{
	/* named must not outlive a test that crashes, nor one that died before
	 * the death signal was armed. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	execl(named, "named", "-g", "-n", "1", "-c", conf, (char *)NULL);
	_exit(127);
}

int test_named_start(struct test_named *n, const char *conf, const char *const *files)
{
	const char *const *named = named_paths;
	char conf_path[PATH_MAX], log_path[PATH_MAX];
	pid_t parent = getpid();
	long long give_up;
	int fd;

	*n = (struct test_named){0};
	while (*named != NULL && access(*named, X_OK) != 0)
		named++;
	if (*named == NULL)
		return start_failed(n, "named not found (apt-get install bind9)");
	snprintf(n->dir, sizeof(n->dir), "/tmp/dnsacme-named-XXXXXX");
	if (mkdtemp(n->dir) == NULL) {
		n->dir[0] = '\0';
		return start_failed(n, "mkdtemp: %s", strerror(errno));
	}
	if ((n->port = pick_port()) < 0)
		return start_failed(n, "no port free on both 127.0.0.1 and ::1");
	for (; files != NULL && files[0] != NULL; files += 2)
		if (write_file(n, files[0], files[1]) != 0)
			return start_failed(n, "cannot write %s in %s", files[0], n->dir);
	if (write_conf(n, conf) != 0)
		return start_failed(n, "cannot write named.conf in %s", n->dir);

	snprintf(conf_path, sizeof(conf_path), "%s/named.conf", n->dir);
	snprintf(log_path, sizeof(log_path), "%s/named.log", n->dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return start_failed(n, "%s: %s", log_path, strerror(errno));
	n->pid = fork();
	if (n->pid == 0)
		exec_named(*named, conf_path, fd, parent);
	close(fd);
	if (n->pid < 0) {
		n->pid = 0;
		return start_failed(n, "fork: %s", strerror(errno));
	}

	/* "running" comes once named listens and has tried every zone; a zone
	 * that failed is only a log line, so look for it too. */
	give_up = now_ms() + START_TIMEOUT_MS;
	while (now_ms() < give_up) {
		if (test_named_log_count(n, " running\n") > 0)
			return test_named_log_count(n, ": not loaded due to errors") == 0
				       ? 0
				       : start_failed(n, "a zone did not load");
		if (waitpid(n->pid, NULL, WNOHANG) == n->pid) {
			n->pid = 0;
			return start_failed(n, "named exited");
		}
		usleep(50000);
	}
	return start_failed(n, "named not running after %d s", START_TIMEOUT_MS / 1000);
}

/* Whether pid ended (and was reaped) within ms. */
static int reaped_within(pid_t pid, int ms)
{
	long long give_up = now_ms() + ms;

	do {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return 1;
		usleep(20000);
	} while (now_ms() < give_up);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void test_named_stop(struct test_named *n)
{
	if (n->pid > 0) {
		kill(n->pid, SIGTERM);
		if (!reaped_within(n->pid, STOP_TIMEOUT_MS)) {
			kill(n->pid, SIGKILL);
			waitpid(n->pid, NULL, 0);
		}
		n->pid = 0;
	}
	if (n->dir[0] != '\0') {
		nftw(n->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
		n->dir[0] = '\0';
	}
}
