/*
 * The dnsacme binary's answers to bad input, before any server is involved:
 * the exit status (0 ok, 1 failure, 2 usage) and the one error line.
 * DNSACME_BIN and the plugin directory come from the build.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define OUTPUT_MAX 16384

struct run {
	int status;		  /* exit status, or -1 when it did not exit */
	char stderr_text[OUTPUT_MAX];
	char stdout_text[OUTPUT_MAX];
};

/* Read fd to its end into out (truncated, NUL-terminated). */
static void slurp(int fd, char *out, size_t size)
{
	size_t len = 0;
	ssize_t n;
	char sink[512];

	while ((n = read(fd, len + 1 < size ? out + len : sink,
			 len + 1 < size ? size - 1 - len : sizeof(sink))) > 0)
		if (len + 1 < size)
			len += (size_t)n;
	out[len] = '\0';
	close(fd);
}

/* Run dnsacme with args (NULL-terminated, without argv[0]). */
static void run(struct run *r, const char *const *args)
{
	const char *argv[32] = {DNSACME_BIN};
	int out_pipe[2], err_pipe[2], wstatus;
	pid_t pid;

	for (size_t i = 0; args[i] != NULL && i + 2 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[i + 1] = args[i];
	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		dup2(out_pipe[1], 1);
		dup2(err_pipe[1], 2);
		close(out_pipe[0]);
		close(err_pipe[0]);
		execv(DNSACME_BIN, (char *const *)argv);
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	/* Outputs are small: reading one pipe to its end cannot block the other. */
	slurp(out_pipe[0], r->stdout_text, sizeof(r->stdout_text));
	slurp(err_pipe[0], r->stderr_text, sizeof(r->stderr_text));
	if (pid > 0 && waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus))
		r->status = WEXITSTATUS(wstatus);
}

/* stderr is exactly "dnsacme: error: <want>\n". */
static int one_error_line(const struct run *r, const char *want)
{
	static const char prefix[] = "dnsacme: error: ";
	const char *text = r->stderr_text;
	size_t want_len = strlen(want);

	if (strncmp(text, prefix, sizeof(prefix) - 1) != 0 ||
	    strncmp(text + sizeof(prefix) - 1, want, want_len) != 0 ||
	    strcmp(text + sizeof(prefix) - 1 + want_len, "\n") != 0) {
		fprintf(stderr, "  stderr: %s  want:   %s%s\n", text, prefix, want);
		return 0;
	}
	return 1;
}

static void test_revoke_without_cert(void)
{
	const char *args[] = {"revoke", "--state-dir", "/nonexistent", NULL};
	struct run r;

	run(&r, args);
	CHECK(r.status == 2);
	CHECK(one_error_line(&r, "--cert FILE is required"));
}

static void test_revoke_unreadable_cert(void)
{
	const char *args[] = {"revoke", "--cert", "cli/none.pem", "--state-dir", "/nonexistent",
			      NULL};
	struct run r;

	run(&r, args);
	CHECK(r.status == 1);
	CHECK(one_error_line(&r, "cannot read cli/none.pem: No such file or directory"));
}

static void test_revoke_not_a_certificate(void)
{
	const char *args[] = {"revoke", "--cert", "cli/good.json", "--state-dir", "/nonexistent",
			      NULL};
	struct run r;

	run(&r, args);
	CHECK(r.status == 1);
	CHECK(strncmp(r.stderr_text, "dnsacme: error: cli/good.json: ", 31) == 0);
}

int main(void)
{
	unsetenv("DNSACME_CONFIG");
	setenv("DNSACME_PLUGIN_DIR", DNSACME_PLUGIN_DIR, 1);
	/* No leak report from a sanitizer build may add lines to stderr. */
	setenv("ASAN_OPTIONS", "detect_leaks=1:exitcode=99", 1);
	test_revoke_without_cert();
	test_revoke_unreadable_cert();
	test_revoke_not_a_certificate();
	return check_report();
}
