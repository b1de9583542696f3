/*
 * The state dir kept in a Secret (--state-secret): see state.h.
 *
 * Keys are the state dir's paths with '/' written "..": no component of
 * ours is empty or starts with '.', so a key reads back as one path, and a
 * key that would not (or that names anything outside the state's own
 * folders) is left alone in the Secret and never becomes a file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/file.h"
#include "base/log.h"
#include "base/sleep.h"
#include "k8s/state.h"
#include "store/store.h"

#define STATE_ANNOTATION "dnsacme.io/state"
#define LEASE_ANNOTATION "dnsacme.io/lease"
#define SYNC_LOCK ".sync.lock"
#define MAX_DEPTH 6

struct da_k8s_state {
	struct da_k8s_source src; /* strings owned */
	char *ns, *name, *where;
	char *dir;	   /* the run's copy of the state */
	char *holder;	   /* who takes the lease: HOST:PID */
	char *lease_key;   /* its annotation */
	char *journal_key; /* where journal.json goes */
	long lease_seconds;
	json_t *base; /* the keys as this process last put them: {key: base64} */
	const struct da_log *log;
};

/* --- keys and paths ------------------------------------------------------- */

static int component_ok(const char *s, size_t len)
{
	if (len == 0 || s[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] == '-' || s[i] == '_' || s[i] == '.' ||
		      (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* Is path (relative) part of the state a Secret keeps? */
static int kept(const char *path)
{
	static const char *const folders[] = {"accounts/", "renewal/", "renew-state/"};
	size_t len = strlen(path);

	if (strcmp(path, "journal.json") == 0)
		return 1;
	if (len > 5 && strcmp(path + len - 5, ".lock") == 0)
		return 0;
	for (size_t i = 0; i < sizeof(folders) / sizeof(*folders); i++)
		if (strncmp(path, folders[i], strlen(folders[i])) == 0)
			return 1;
	return 0;
}

/* The key of a kept path, or NULL (free()). */
static char *key_of(const struct da_k8s_state *st, const char *path)
{
	struct da_buf key = {0};

	if (strcmp(path, "journal.json") == 0)
		return strdup(st->journal_key);
	for (const char *p = path; *p; p++)
		if ((*p == '/' ? da_buf_puts(&key, "..") : da_buf_append(&key, p, 1)) != 0) {
			da_buf_free(&key);
			return NULL;
		}
	return da_buf_take(&key);
}

/* The path of a key, when it is one of ours (free()); else NULL. */
static char *path_of(const struct da_k8s_state *st, const char *key)
{
	struct da_buf path = {0};
	const char *p = key;
	char *out;

	if (strcmp(key, st->journal_key) == 0)
		return strdup("journal.json");
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		const char *end = strstr(p, "..");
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (!component_ok(p, len) || (depth && da_buf_puts(&path, "/") != 0) ||
		    da_buf_append(&path, p, len) != 0)
			break;
		if (end == NULL) {
			out = da_buf_take(&path);
			if (out != NULL && (!kept(out) || strcmp(out, "journal.json") == 0)) {
				free(out);
				out = NULL;
			}
			return out;
		}
		p = end + 2;
	}
	da_buf_free(&path);
	return NULL;
}

/* --- the directory -------------------------------------------------------- */

/* Every kept file under dir/rel into snap {key: base64}. */
static enum da_code snapshot_dir(const struct da_k8s_state *st, const char *rel, int depth,
				 json_t *snap, struct da_err *err)
{
	char *dir_path = NULL;
	DIR *dir;
	struct dirent *e;
	enum da_code rc = DA_OK;

	if (asprintf(&dir_path, "%s%s%s", st->dir, rel[0] ? "/" : "", rel) < 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	dir = opendir(dir_path);
	free(dir_path);
	if (dir == NULL)
		return DA_OK;
	while (rc == DA_OK && depth < MAX_DEPTH && (e = readdir(dir)) != NULL) {
		char *path = NULL, *full = NULL, *data = NULL, *key = NULL, *b64 = NULL;
		struct stat sb;
		size_t len;

		if (e->d_name[0] == '.' ||
		    asprintf(&path, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) < 0 ||
		    asprintf(&full, "%s/%s", st->dir, path) < 0 || lstat(full, &sb) != 0) {
			free(path);
			free(full);
			continue;
		}
		if (S_ISDIR(sb.st_mode))
			rc = snapshot_dir(st, path, depth + 1, snap, err);
		else if (S_ISREG(sb.st_mode) && kept(path)) {
			rc = da_file_read(full, DA_FILE_READ_MAX, &data, &len, err);
			if (rc == DA_OK && ((key = key_of(st, path)) == NULL ||
					    (b64 = da_b64_encode(data, len)) == NULL ||
					    json_object_set_new(snap, key, json_string(b64)) != 0))
				rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
		}
		da_secret_free(data);
		da_secret_free(b64);
		free(key);
		free(path);
		free(full);
	}
	closedir(dir);
	return rc;
}

/* Write each of our keys of data as a file (0600, folders 0700). */
static enum da_code materialize(const struct da_k8s_state *st, const json_t *data,
				struct da_err *err)
{
	const char *key;
	json_t *value;
	enum da_code rc = DA_OK;

	json_object_foreach((json_t *)data, key, value) {
		char *path = path_of(st, key), *full = NULL, *slash;
		unsigned char *bytes = NULL;
		size_t len = 0;

		if (path == NULL)
			continue;
		if (json_is_string(value))
			bytes = da_b64_decode(json_string_value(value), &len);
		if (bytes == NULL || asprintf(&full, "%s/%s", st->dir, path) < 0)
			rc = da_err_set(err, DA_ERR_CONFIG, "%s: key %.200s is not base64", st->where,
					key);
		slash = rc == DA_OK ? strrchr(full, '/') : NULL;
		if (slash != NULL) {
			*slash = '\0';
			rc = da_store_mkdirs(full, 0700, err);
			*slash = '/';
		}
		if (rc == DA_OK)
			rc = da_store_write_atomic(full, bytes, len, 0600, err);
		da_secret_free((char *)bytes);
		free(full);
		free(path);
		if (rc != DA_OK)
			return rc;
	}
	return DA_OK;
}

/* --- the Secret ----------------------------------------------------------- */

static enum da_code connect_to(const struct da_k8s_state *st, struct da_k8s **k,
			       struct da_err *err)
{
	return da_k8s_open(&st->src, st->log, k, err);
}

static json_t *annotations_of(json_t *secret)
{
	json_t *meta = json_object_get(secret, "metadata");
	json_t *annotations = json_object_get(meta, "annotations");

	if (!json_is_object(annotations)) {
		annotations = json_object();
		json_object_set_new(meta, "annotations", annotations);
	}
	return annotations;
}

/* The lease's holder and end, from "HOLDER UNTIL"; 0 when there is none. */
static time_t lease_of(json_t *secret, const char *key, char *holder, size_t size)
{
	const char *text = json_string_value(json_object_get(annotations_of(secret), key));
	const char *space = text ? strrchr(text, ' ') : NULL;

	holder[0] = '\0';
	if (space == NULL)
		return 0;
	snprintf(holder, size, "%.*s", (int)(space - text), text);
	return (time_t)strtoll(space + 1, NULL, 10);
}

static enum da_code set_lease(const struct da_k8s_state *st, json_t *secret, int release)
{
	char text[300];

	if (release) {
		json_object_del(annotations_of(secret), st->lease_key);
		return DA_OK;
	}
	snprintf(text, sizeof(text), "%s %lld", st->holder,
		 (long long)(time(NULL) + st->lease_seconds));
	return json_object_set_new(annotations_of(secret), st->lease_key, json_string(text)) == 0
		       ? DA_OK
		       : DA_ERR_NOMEM;
}

/* A Secret we may keep state in: ours, or one made empty for us. */
static enum da_code check_ours(const struct da_k8s_state *st, json_t *secret, struct da_err *err)
{
	const char *type = json_string_value(json_object_get(secret, "type"));
	json_t *data = json_object_get(secret, "data");

	if (json_object_get(annotations_of(secret), STATE_ANNOTATION) == NULL &&
	    json_object_size(data) > 0)
		return da_err_set(err, DA_ERR_CONFIG,
				  "%s holds data and is not a dnsacme state Secret (no %s "
				  "annotation): name an empty or a new Secret",
				  st->where, STATE_ANNOTATION);
	if (type != NULL && strcmp(type, "Opaque") != 0)
		return da_err_set(err, DA_ERR_CONFIG,
				  "%s is of type %.100s: a state Secret is Opaque", st->where, type);
	return DA_OK;
}

/* What a change of the state Secret does, and with what. */
struct change {
	struct da_k8s_state *st;
	enum da_code (*apply)(struct da_k8s_state *st, json_t *secret, void *arg,
			      struct da_err *err);
	void *arg;
};

/* Every change: a Secret of ours (a new one is Opaque), marked as state. */
static enum da_code change_state(json_t *secret, int exists, void *arg, struct da_err *err)
{
	const struct change *c = arg;
	enum da_code rc = DA_OK;

	if (!exists && json_object_set_new(secret, "type", json_string("Opaque")) != 0)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK)
		rc = check_ours(c->st, secret, err);
	if (rc == DA_OK &&
	    json_object_set_new(annotations_of(secret), STATE_ANNOTATION, json_string("1")) != 0)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	return rc == DA_OK ? c->apply(c->st, secret, c->arg, err) : rc;
}

/* Read the Secret, apply, write it back (da_k8s_update()). */
static enum da_code update(struct da_k8s_state *st,
			   enum da_code (*apply)(struct da_k8s_state *, json_t *, void *,
						 struct da_err *),
			   void *arg, json_t **stored, struct da_err *err)
{
	const struct da_k8s_ref ref = {"secrets", st->ns, st->name};
	struct change c = {st, apply, arg};
	struct da_k8s *k = NULL;
	enum da_code rc = connect_to(st, &k, err);

	if (rc == DA_OK)
		rc = da_k8s_update(k, &ref, change_state, &c, stored, err);
	da_k8s_free(k);
	return rc;
}

/* Taking the lease: free, expired or ours already. */
static enum da_code take_lease(struct da_k8s_state *st, json_t *secret, void *arg,
			       struct da_err *err)
{
	(void)arg;
	char holder[256];
	time_t until = lease_of(secret, st->lease_key, holder, sizeof(holder));

	if (until > time(NULL) && strcmp(holder, st->holder) != 0)
		return da_err_set(err, DA_ERR_TIMEOUT, "%s: the lease is held by %s until %lld",
				  st->where, holder, (long long)until);
	return set_lease(st, secret, 0);
}

/* What a sync puts: the directory's keys; the lease renewed or released. */
struct sync_args {
	json_t *snap;
	int release;
};

/* Our changes since base onto secret. */
static enum da_code merge(struct da_k8s_state *st, json_t *secret, void *arg, struct da_err *err)
{
	const struct sync_args *a = arg;
	json_t *data = json_object_get(secret, "data");
	const char *key;
	json_t *value;
	char holder[256];

	lease_of(secret, st->lease_key, holder, sizeof(holder));
	if (strcmp(holder, st->holder) != 0)
		return da_err_set(err, DA_ERR_CONFIG,
				  "the lease was taken over by %s: this run went on past its lease "
				  "(--state-lease); what it changed since is not saved",
				  holder[0] ? holder : "nobody");
	if (!json_is_object(data)) {
		data = json_object();
		json_object_set_new(secret, "data", data);
	}
	json_object_foreach(a->snap, key, value) {
		json_t *was = json_object_get(st->base, key), *now = json_object_get(data, key);

		if (was != NULL && json_equal(was, value))
			continue;
		/* Made by another shard since we read it (its first run's
		 * account, say): theirs stays, ours is used this once. */
		if (was == NULL && now != NULL && !json_equal(now, value)) {
			da_logf(st->log, DNSACME_LOG_WARN,
				"%s: %s was saved by another run meanwhile: keeping that one",
				st->where, key);
			continue;
		}
		json_object_set(data, key, value);
	}
	json_object_foreach(st->base, key, value)
		if (json_object_get(a->snap, key) == NULL)
			json_object_del(data, key);
	return set_lease(st, secret, a->release);
}

/* Put the directory into the Secret, serialised between this run's processes. */
static enum da_code put_state(struct da_k8s_state *st, int release, struct da_err *err)
{
	struct sync_args args = {.snap = json_object(), .release = release};
	char *lock_path = NULL;
	enum da_code rc = DA_OK;
	int lock = -1;

	if (args.snap == NULL || asprintf(&lock_path, "%s/" SYNC_LOCK, st->dir) < 0)
		rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (rc == DA_OK && ((lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
			    flock(lock, LOCK_EX) != 0))
		rc = da_err_set(err, DA_ERR_IO, "%s: %s", lock_path, strerror(errno));
	if (rc == DA_OK)
		rc = snapshot_dir(st, "", 0, args.snap, err);
	if (rc == DA_OK)
		rc = update(st, merge, &args, NULL, err);
	if (rc == DA_OK) {
		json_decref(st->base);
		st->base = json_incref(args.snap);
	}
	if (lock >= 0)
		close(lock);
	free(lock_path);
	json_decref(args.snap);
	return rc == DA_OK ? DA_OK : da_err_wrap(err, "saving the state in %s", st->where);
}

enum da_code da_k8s_state_sync(struct da_k8s_state *st, struct da_err *err)
{
	return put_state(st, 0, err);
}

/* rm -r of the run's copy: it holds the account key. */
static void remove_tree(const char *path, int depth)
{
	DIR *dir = depth < MAX_DEPTH + 1 ? opendir(path) : NULL;
	struct dirent *e;

	while (dir != NULL && (e = readdir(dir)) != NULL) {
		char *child = NULL;
		struct stat sb;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    asprintf(&child, "%s/%s", path, e->d_name) < 0)
			continue;
		if (lstat(child, &sb) == 0 && S_ISDIR(sb.st_mode))
			remove_tree(child, depth + 1);
		else
			unlink(child);
		free(child);
	}
	if (dir != NULL)
		closedir(dir);
	rmdir(path);
}

void da_k8s_state_free(struct da_k8s_state *st)
{
	if (st == NULL)
		return;
	if (st->dir != NULL)
		remove_tree(st->dir, 0);
	free((char *)st->src.kubeconfig);
	free((char *)st->src.service_account_dir);
	free(st->ns);
	free(st->name);
	free(st->where);
	free(st->dir);
	free(st->holder);
	free(st->lease_key);
	free(st->journal_key);
	json_decref(st->base);
	free(st);
}

enum da_code da_k8s_state_close(struct da_k8s_state *st, struct da_err *err)
{
	enum da_code rc = put_state(st, 1, err);

	da_k8s_state_free(st);
	return rc;
}

const char *da_k8s_state_dir(const struct da_k8s_state *st)
{
	return st->dir;
}

static enum da_code init(struct da_k8s_state *st, const struct da_k8s_state_config *cfg,
			 struct da_err *err)
{
	const char *tmp = getenv("TMPDIR");
	char host[256] = "";
	int failed = 0;

	gethostname(host, sizeof(host) - 1);
	st->src.kubeconfig = da_strdup_or_null(cfg->source->kubeconfig, &failed);
	st->src.service_account_dir = da_strdup_or_null(cfg->source->service_account_dir, &failed);
	st->ns = da_strdup_or_null(cfg->ns, &failed);
	st->name = da_strdup_or_null(cfg->name, &failed);
	st->lease_seconds = cfg->lease_seconds;
	st->log = cfg->log;
	if (failed || asprintf(&st->where, "state secret %s/%s", cfg->ns, cfg->name) < 0 ||
	    asprintf(&st->holder, "%s:%ld", host[0] ? host : "localhost", (long)getpid()) < 0 ||
	    asprintf(&st->lease_key, LEASE_ANNOTATION "%s%s", cfg->shard ? "." : "",
		     cfg->shard ? cfg->shard : "") < 0 ||
	    asprintf(&st->journal_key, "journal%s%s.json", cfg->shard ? "." : "",
		     cfg->shard ? cfg->shard : "") < 0 ||
	    asprintf(&st->dir, "%s/dnsacme-state.XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (mkdtemp(st->dir) == NULL) {
		da_err_set(err, DA_ERR_IO, "cannot make a directory for the state in %s: %s",
			   tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
		free(st->dir);
		st->dir = NULL;
		return err->code;
	}
	return DA_OK;
}

enum da_code da_k8s_state_open(const struct da_k8s_state_config *cfg, struct da_k8s_state **out,
			       struct da_err *err)
{
	struct da_k8s_state *st = calloc(1, sizeof(*st));
	json_t *stored = NULL;
	enum da_code rc;
	long waited = 0;

	*out = NULL;
	if (st == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = init(st, cfg, err);
	/* A run killed holding the lease leaves it: it is free once expired. */
	while (rc == DA_OK) {
		rc = update(st, take_lease, NULL, &stored, err);
		if (rc != DA_ERR_TIMEOUT || waited > cfg->lease_seconds)
			break;
		if (waited == 0)
			da_logf(st->log, DNSACME_LOG_INFO, "%s; waiting for it", err->msg);
		if (da_sleep_ms(1000, cfg->stop) != 0) {
			rc = da_err_set(err, DA_ERR_INTERRUPTED, "interrupted");
			break;
		}
		waited++;
		rc = DA_OK;
	}
	if (rc == DA_OK) {
		json_t *data = json_object_get(stored, "data");

		st->base = json_object();
		rc = st->base ? materialize(st, data, err)
			      : da_err_set(err, DA_ERR_NOMEM, "out of memory");
		if (rc == DA_OK)
			rc = snapshot_dir(st, "", 0, st->base, err);
	}
	json_decref(stored);
	if (rc != DA_OK) {
		da_k8s_state_free(st);
		return da_err_wrap(err, "state secret %s/%s", cfg->ns, cfg->name);
	}
	da_logf(st->log, DNSACME_LOG_DEBUG, "%s: the lease is %s's; its state is in %s", st->where,
		st->holder, st->dir);
	*out = st;
	return DA_OK;
}
