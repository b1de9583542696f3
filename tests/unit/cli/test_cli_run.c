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
	const char *error;  /* the whole message, or its start when it ends in "...";
			       NULL: stderr is empty */
	const char *output; /* NULL, or what stdout starts with */
};

static const struct expect expected[] = {
	/* A mistyped secret option is never echoed. */
	{.args = {"present", "--dns", "rfc2136", "-d", "a.test", "--value", "v",
		  "--dns-option", "tsig_secret:c2VjcmV0LXZhbHVl"},
	 .status = 2,
	 .error = "--dns-option: expected KEY=VALUE (what was given is not shown: it may hold a "
		  "secret)"},
	{.args = {"revoke", "--state-dir", "/nonexistent"},
	 .status = 2,
	 .error = "--cert FILE is required"},
	{.args = {"revoke", "--cert", "cli/none.pem", "--state-dir", "/nonexistent"},
	 .status = 1,
	 .error = "cannot read cli/none.pem: No such file or directory"},
	{.args = {"revoke", "--cert", "cli/good.json", "--state-dir", "/nonexistent"},
	 .status = 1,
	 .error = "cli/good.json: ..."},
	{.args = {"revoke", "--cert", "crypto/chain.pem", "--server", "acme.example/dir",
		  "--state-dir", "/nonexistent"},
	 .status = 1,
	 .error = "ACME server acme.example/dir is not HTTPS (plain HTTP is accepted only on "
		  "loopback, for test CAs)"},
	{.args = {"revoke", "--cert", "crypto/chain.pem", "--server", "https://acme.example/dir",
		  "--staging"},
	 .status = 2,
	 .error = "--staging and --server exclude each other (--staging is --server "
		  "https://acme-staging-v02.api.letsencrypt.org/directory)"},
	{.args = {"issue", "-d", "a.example", "--dns", "rfc2136", "--out", "cli/good.json/out",
		  "--state-dir", "/nonexistent"},
	 .status = 1,
	 .error = "cannot create directory cli/good.json/out: Not a directory"},
	/* --renew-before: a certificate from the same CA for the same names and
	 * key type, with a century left, is not due; from another CA it is. */
	{.args = {"issue", "-d", "a.example", "-d", "*.a.example", "--dns", "rfc2136", "--out",
		  "cli/current", "--server", "https://acme.example/dir", "--renew-before", "30"},
	 .status = 0,
	 .output = "certificate in cli/current is not due: valid until 21"},
	{.args = {"issue", "-d", "a.example", "-d", "*.a.example", "--dns", "rfc2136", "--out",
		  "cli/current", "--server", "https://acme.example/dir", "--renew-before",
		  "9223372036854775807"},
	 .status = 1,
	 .error = "rfc2136: option nameserver is required (set RFC2136_NAMESERVER or "
		  "--dns-option nameserver=...)"},
	{.args = {"issue", "-d", "a.example", "-d", "*.a.example", "--dns", "rfc2136", "--out",
		  "cli/current", "--server", "https://other.example/dir", "--renew-before", "30"},
	 .status = 1,
	 .error = "rfc2136: option nameserver is required (set RFC2136_NAMESERVER or "
		  "--dns-option nameserver=...)"},
	{.args = {"issue", "-d", "a.example", "--dns", "rfc2136", "--propagation-timeout", "0",
		  "--state-dir", "/nonexistent"},
	 .status = 2,
	 .error = "--propagation-timeout must be 1 to 604800 seconds (--propagation-skip "
		  "does not wait at all)"},
	{.args = {"issue", "-d", "a.example", "--dns", "rfc2136", "--propagation-timeout",
		  "9223372036854775807", "--state-dir", "/nonexistent"},
	 .status = 2,
	 .error = "--propagation-timeout must be 1 to 604800 seconds (--propagation-skip "
		  "does not wait at all)"},
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
	ok = r.status == e->status &&
	     (e->error ? error_line_matches(r.stderr_text, e->error) : r.stderr_text[0] == '\0') &&
	     (e->output == NULL || strncmp(r.stdout_text, e->output, strlen(e->output)) == 0);
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  dnsacme %s ...: status %d (want %d)\n  stderr: %s  want:   %s\n"
			"  stdout: %s  want:   %s\n",
			e->args[0], r.status, e->status, r.stderr_text,
			e->error ? e->error : "(nothing)", r.stdout_text,
			e->output ? e->output : "(anything)");
}

int main(void)
{
	unsetenv("DNSACME_CONFIG");
	unsetenv("RFC2136_NAMESERVER");
	setenv("DNSACME_PLUGIN_DIR", DNSACME_PLUGIN_DIR, 1);
	/* No leak report from a sanitizer build may add lines to stderr. */
	setenv("ASAN_OPTIONS", "detect_leaks=1:exitcode=99", 1);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		check_run(&expected[i]);
	return check_report();
}
