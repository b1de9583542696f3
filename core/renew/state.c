/* What renew keeps about a certificate between runs: see state.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>

#include "renew/state.h"
#include "store/store.h"

void da_renew_state_clear(struct da_renew_state *st)
{
	free(st->cert_id);
	free(st->explanation_url);
	memset(st, 0, sizeof(*st));
}

static time_t time_of(const json_t *obj, const char *key)
{
	return (time_t)json_integer_value(json_object_get(obj, key));
}

/* A damaged state file is no state: it costs one renewalInfo request. */
void da_renew_state_load(const char *state_dir, const char *name, struct da_renew_state *st)
{
	char *text = NULL;
	json_t *root;
	const char *s;

	memset(st, 0, sizeof(*st));
	if (da_store_renew_state_read(state_dir, name, &text, NULL) != DA_OK || text == NULL)
		return;
	root = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(root)) {
		json_decref(root);
		return;
	}
	if ((s = json_string_value(json_object_get(root, "cert_id"))) != NULL)
		st->cert_id = strdup(s);
	if ((s = json_string_value(json_object_get(root, "explanation_url"))) != NULL)
		st->explanation_url = strdup(s);
	st->has_window = json_is_true(json_object_get(root, "has_window"));
	st->window_start = time_of(root, "window_start");
	st->window_end = time_of(root, "window_end");
	st->next_check = time_of(root, "next_check");
	st->point = json_real_value(json_object_get(root, "point"));
	if (st->point < 0 || st->point >= 1)
		st->point = 0;
	st->ari_failures = (long)json_integer_value(json_object_get(root, "ari_failures"));
	st->failures = (long)json_integer_value(json_object_get(root, "failures"));
	st->last_success = time_of(root, "last_success");
	st->last_failure = time_of(root, "last_failure");
	json_decref(root);
}

enum da_code da_renew_state_save(const char *state_dir, const char *name,
				 const struct da_renew_state *st, struct da_err *err)
{
	json_t *root = json_pack("{s:s?, s:b, s:I, s:I, s:s?, s:I, s:f, s:I, s:I, s:I, s:I}",
				 "cert_id", st->cert_id, "has_window", st->has_window,
				 "window_start", (json_int_t)st->window_start, "window_end",
				 (json_int_t)st->window_end, "explanation_url",
				 st->explanation_url, "next_check", (json_int_t)st->next_check,
				 "point", st->point, "ari_failures", (json_int_t)st->ari_failures,
				 "failures", (json_int_t)st->failures, "last_success",
				 (json_int_t)st->last_success, "last_failure",
				 (json_int_t)st->last_failure);
	char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL, *saved = NULL;
	enum da_code rc = DA_OK;

	json_decref(root);
	if (text == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	/* A timer's run mostly learns nothing new: no write, no fsync. */
	if (da_store_renew_state_read(state_dir, name, &saved, NULL) != DA_OK || saved == NULL ||
	    strcmp(saved, text) != 0)
		rc = da_store_renew_state_write(state_dir, name, text, err);
	free(saved);
	free(text);
	return rc;
}

double da_renew_random_point(void)
{
	unsigned int r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned int)time(NULL);
	return (double)r / 4294967296.0;
}

time_t da_renew_ari_backoff(long failures)
{
	time_t wait = 60;

	while (failures-- > 1 && wait < DA_RENEW_ARI_MAX_WAIT)
		wait *= 2;
	return wait < DA_RENEW_ARI_MAX_WAIT ? wait : DA_RENEW_ARI_MAX_WAIT;
}
