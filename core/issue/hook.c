#include "issue/hook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sleep.h"
#include "plugin/loader.h"

#define GRACE_MS 5000
#define POLL_MS 100

extern char **environ;

/* Variables of the core that hold a secret, beside the plugins'. */
static const char *const core_secrets[] = {"DNSACME_EAB_HMAC_KEY", "DNSACME_EAB_HMAC_KEY_FILE"};

static int is_listed(const char *entry, char *const *vars, size_t n)
{
	size_t len = strcspn(entry, "=");

	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i]) == len && strncmp(entry, vars[i], len) == 0)
			return 1;
	for (size_t i = 0; i < sizeof(core_secrets) / sizeof(core_secrets[0]); i++)
		if (strlen(core_secrets[i]) == len && strncmp(entry, core_secrets[i], len) == 0)
			return 1;
	return 0;
}

/* "NAME=value" as an allocation, or NULL (asprintf leaves its pointer
 * undefined on failure: never free that). */
static char *variable(const char *name, const char *value)
{
	char *entry;

	if (value == NULL)
		return NULL;
	return asprintf(&entry, "%s=%s", name, value) < 0 ? NULL : entry;
}

#define N_OWN 5 /* the hook's own variables */

/* Our environment less the secrets, plus the hook's own variables (those with
 * a value), in *env_out (free() the array; its own "KEY=value" strings are
 * in owned[0..N_OWN): free()). */
static int hook_environment(const struct da_hook *hook, char ***env_out, char *owned[N_OWN])
{
	char **secrets = NULL, **env, *joined = NULL, *default_dir = NULL;
	size_t n_secrets = 0, n = 0, len = 0;
	FILE *mem = open_memstream(&joined, &len);
	int rc = -1;

	for (size_t i = 0; mem != NULL && i < hook->n_names; i++)
		fprintf(mem, "%s%s", i ? " " : "", hook->names[i]);
	if (mem == NULL || fclose(mem) != 0)
		return -1;
	if (hook->plugin_dir == NULL && da_plugin_default_dir(&default_dir, NULL) != DA_OK)
		goto out;
	if (da_plugin_secret_variables(hook->plugin_dir ? hook->plugin_dir : default_dir, &secrets,
				       &n_secrets, NULL) != DA_OK)
		goto out;
	while (environ[n] != NULL)
		n++;
	env = calloc(n + N_OWN + 1, sizeof(*env));
	owned[0] = variable("DNSACME_CERT_DIR", hook->cert_dir);
	owned[1] = variable("RENEWED_LINEAGE", hook->cert_dir);
	owned[2] = variable("DNSACME_SECRET", hook->secret);
	owned[3] = variable("DNSACME_DOMAINS", joined);
	owned[4] = variable("RENEWED_DOMAINS", joined);
	if (env == NULL || (hook->cert_dir && (!owned[0] || !owned[1])) ||
	    (hook->secret && !owned[2]) || !owned[3] || !owned[4]) {
		free(env);
		goto out;
	}
	n = 0;
	for (char **e = environ; *e != NULL; e++)
		if (!is_listed(*e, secrets, n_secrets) && strncmp(*e, "DNSACME_CERT_DIR=", 17) != 0 &&
		    strncmp(*e, "DNSACME_DOMAINS=", 16) != 0 && strncmp(*e, "DNSACME_SECRET=", 15) != 0 &&
		    strncmp(*e, "RENEWED_LINEAGE=", 16) != 0 && strncmp(*e, "RENEWED_DOMAINS=", 16) != 0)
			env[n++] = *e;
	for (int i = 0; i < N_OWN; i++)
		if (owned[i] != NULL)
			env[n++] = owned[i];
	*env_out = env;
	rc = 0;
out:
	da_plugin_names_free(secrets, n_secrets);
	free(default_dir);
	free(joined);
	return rc;
}

/* Stop the hook's process group: SIGTERM, then SIGKILL after the grace time. */
static int stop_group(pid_t pid)
{
	int status = 0;

	kill(-pid, SIGTERM);
	for (long waited = 0; waited < GRACE_MS; waited += POLL_MS) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			kill(-pid, SIGKILL); /* what it left running */
			return status;
		}
		da_sleep_ms(POLL_MS, NULL);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
	return status;
}

enum da_code da_hook_run(const struct da_hook *hook, const volatile sig_atomic_t *stop,
			 struct da_err *err)
{
	const char *what = hook->label ? hook->label : "deploy hook";
	char *owned[N_OWN] = {NULL}, **env = NULL;
	char *const argv[] = {"sh", "-c", (char *)hook->command, NULL};
	long deadline_ms = hook->timeout_seconds * 1000, waited = 0;
	int status = 0, timed_out = 0, stopped = 0;
	pid_t pid;

	if (hook_environment(hook, &env, owned) != 0) {
		for (int i = 0; i < N_OWN; i++)
			free(owned[i]);
		return da_err_set(err, DA_ERR_IO, "cannot prepare the %s's environment (the "
				  "certificate is in %s)", what, hook->where);
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Its own group: a timeout stops what it started, too. */
		setpgid(0, 0);
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid); /* before the child runs, whoever is first */
	free(env);
	for (int i = 0; i < N_OWN; i++)
		free(owned[i]);
	if (pid < 0)
		return da_err_set(err, DA_ERR_IO, "cannot run the %s: %s (the certificate "
				  "is in %s)", what, strerror(errno), hook->where);
	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);

		if (done == pid)
			break;
		if (done < 0 && errno != EINTR)
			return da_err_set(err, DA_ERR_IO, "cannot wait for the %s: %s (the "
					  "certificate is in %s)", what, strerror(errno), hook->where);
		if (stop != NULL && *stop) {
			stopped = 1;
			status = stop_group(pid);
			break;
		}
		if (waited >= deadline_ms) {
			timed_out = 1;
			status = stop_group(pid);
			break;
		}
		da_sleep_ms(POLL_MS, stop);
		waited += POLL_MS;
	}
	if (stopped)
		return da_err_set(err, DA_ERR_INTERRUPTED, "interrupted while the %s ran "
				  "(the certificate is in %s)", what, hook->where);
	if (timed_out)
		return da_err_set(err, DA_ERR_IO, "the %s ran past %ld s and was stopped "
				  "(the certificate is in %s)", what, hook->timeout_seconds, hook->where);
	if (WIFSIGNALED(status))
		return da_err_set(err, DA_ERR_IO, "the %s was killed by signal %d (the "
				  "certificate is in %s)", what, WTERMSIG(status), hook->where);
	if (WEXITSTATUS(status) != 0)
		return da_err_set(err, DA_ERR_IO, "the %s failed with exit status %d (the "
				  "certificate is in %s)", what, WEXITSTATUS(status), hook->where);
	return DA_OK;
}
