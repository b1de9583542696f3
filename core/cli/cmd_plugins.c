/* dnsacme plugins [NAME]: what is installed, and each plugin's options. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void print_options(const struct dnsacme_provider *provider)
{
	printf("%s: %s\n\noptions (--dns-option KEY=VALUE, or the environment):\n",
	       provider->name, provider->summary);
	for (const struct dnsacme_option *o = provider->options; o && o->key; o++) {
		printf("  %-24s %s%s%s\n", o->key, o->help,
		       o->flags & DNSACME_OPT_REQUIRED ? " (required)" : "",
		       o->flags & DNSACME_OPT_SECRET ? " (secret)" : "");
		for (size_t i = 0; i < sizeof(o->env) / sizeof(o->env[0]) && o->env[i]; i++)
			printf("  %-24s   env %s (or %s_FILE)\n", "", o->env[i], o->env[i]);
		if (o->default_value != NULL)
			printf("  %-24s   default %s\n", "", o->default_value);
	}
	printf("\nEvery KEY also takes KEY_file=PATH to read the value from a file.\n");
}

int cmd_plugins(struct cli_settings *s, const volatile sig_atomic_t *stop)
{
	(void)stop; /* nothing here waits */
	struct da_err err = {0};
	struct da_plugin *plugin = NULL;
	char *default_dir = NULL, **names = NULL;
	const char *dir = s->plugin_dir;
	size_t n = 0;
	enum da_code rc = DA_OK;

	if (dir == NULL) {
		rc = da_plugin_default_dir(&default_dir, &err);
		dir = default_dir;
	}
	if (rc == DA_OK && s->plugin_name != NULL) {
		rc = da_plugin_load(dir, s->plugin_name, &plugin, &err);
		if (rc == DA_OK)
			print_options(da_plugin_provider(plugin));
	} else if (rc == DA_OK) {
		rc = da_plugin_list(dir, &names, &n, &err);
		for (size_t i = 0; rc == DA_OK && i < n; i++) {
			struct da_err load_err;

			if (da_plugin_load(dir, names[i], &plugin, &load_err) == DA_OK)
				printf("%-10s %s\n", names[i], da_plugin_provider(plugin)->summary);
			else
				printf("%-10s (unusable: %s)\n", names[i], load_err.msg);
			da_plugin_free(plugin);
			plugin = NULL;
		}
		if (rc == DA_OK && n == 0)
			printf("no plugins in %s\n", dir);
	}
	da_plugin_free(plugin);
	da_plugin_names_free(names, n);
	free(default_dir);
	return rc == DA_OK ? CLI_EXIT_OK : cli_fail(NULL, &err);
}
