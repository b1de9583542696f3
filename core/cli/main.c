/* dnsacme: dispatch to a command; turn SIGINT/SIGTERM into an orderly stop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <curl/curl.h>
#include <jansson.h>
#include <malloc.h>

#include "cli.h"

/* The one piece of global state: a signal handler can reach nothing else. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* JSON may hold secrets (a Kubernetes Secret read back, an STS answer):
 * what jansson frees is wiped first. */
static void wiping_free(void *p)
{
	if (p != NULL)
		explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/*
 * Keys pass through this process: no core file may hold one, other processes
 * of the same user may not ptrace it or read its memory, and nothing it runs
 * (plugins' helpers, the deploy hook) may gain privileges through setuid.
 */
static void harden_process(void)
{
	const struct rlimit no_core = {0, 0};

	json_set_alloc_funcs(malloc, wiping_free);
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct cli_settings settings;
	struct da_err err = {0};
	const struct cli_command_def *command;
	int status;

	harden_process();
	/* Help asked for goes to stdout; help as the answer to a mistake, to
	 * stderr, where scripts look for what went wrong. */
	if (argc < 2) {
		cli_usage(stderr, 0);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_usage(stdout, 0);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("dnsacme %s\n", DNSACME_VERSION);
		return CLI_EXIT_OK;
	}
	command = cli_command_by_word(argv[1]);
	if (command == NULL) {
		fprintf(stderr, "dnsacme: error: unknown command '%s' (see dnsacme --help)\n",
			argv[1]);
		return CLI_EXIT_USAGE;
	}
	if (cli_settings_load(&settings, command->command, argc - 2, argv + 2, &err) != DA_OK) {
		cli_settings_free(&settings);
		return cli_fail(NULL, &err);
	}
	if (settings.help) {
		cli_usage(stdout, command->command);
		cli_settings_free(&settings);
		return CLI_EXIT_OK;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	status = cli_run(command, &settings, &stop_requested);

	curl_global_cleanup();
	cli_settings_free(&settings);
	return status;
}
