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

/* One run and what it must answer: the status and the error line. */
struct expect {
	const char *args[16];
	int status;
	const char *error; /* the whole message, or its start when it ends in "..." */
};

static const struct expect expected[] = {
	{{"revoke", "--state-dir", "/nonexistent"}, 2, "--cert FILE is required"},
	{{"revoke", "--cert", "cli/none.pem", "--state-dir", "/nonexistent"},
	 1,
	 "cannot read cli/none.pem: No such file or directory"},
	{{"revoke", "--cert", "cli/good.json", "--state-dir", "/nonexistent"},
	 1,
	 "cli/good.json: ..."},
	{{"revoke", "--cert", "crypto/chain.pem", "--server", "acme.example/dir", "--state-dir",
	  "/nonexistent"},
	 1,
	 "ACME directory URL acme.example/dir is not http(s)"},
	{{"revoke", "--cert", "crypto/chain.pem", "--server", "https://acme.example/dir",
	  "--staging"},
	 2,
	 "--staging and --server exclude each other (--staging is --server "
	 "https://acme-staging-v02.api.letsencrypt.org/directory)"},
	{{"issue", "-d", "a.example", "--dns", "rfc2136", "--out", "cli/good.json/out",
	  "--state-dir", "/nonexistent"},
	 1,
	 "cannot create directory cli/good.json/out: Not a directory"},
	{{"issue", "-d", "a.example", "--dns", "rfc2136", "--propagation-timeout", "0",
	  "--state-dir", "/nonexistent"},
	 2,
	 "--propagation-timeout must be at least 1 second (--propagation-skip does not wait "
	 "at all)"},
};

/* stderr is the one line "dnsacme: error: <want>" (want may end in "..."). */
static int error_line_matches(const char *stderr_text, const char *want)
{
	static const char prefix[] = "dnsacme: error: ";
	size_t want_len = strlen(want);
	const char *msg = stderr_text + sizeof(prefix) - 1, *newline;

	if (strncmp(stderr_text, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	newline = strchr(msg, '\n');
	if (newline == NULL || newline[1] != '\0')
		return 0;
	if (want_len > 3 && strcmp(want + want_len - 3, "...") == 0)
		return strncmp(msg, want, want_len - 3) == 0;
	return (size_t)(newline - msg) == want_len && strncmp(msg, want, want_len) == 0;
}

static void check_run(const struct expect *e)
{
	struct run r;
	int ok;

	run(&r, e->args);
	ok = r.status == e->status && error_line_matches(r.stderr_text, e->error);
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  dnsacme %s ...: status %d (want %d)\n  stderr: %s  want:   %s\n",
			e->args[0], r.status, e->status, r.stderr_text, e->error);
}

int main(void)
{
	unsetenv("DNSACME_CONFIG");
	setenv("DNSACME_PLUGIN_DIR", DNSACME_PLUGIN_DIR, 1);
	/* No leak report from a sanitizer build may add lines to stderr. */
	setenv("ASAN_OPTIONS", "detect_leaks=1:exitcode=99", 1);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		check_run(&expected[i]);
	return check_report();
}
