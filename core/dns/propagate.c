/*
 * The propagation check: every TXT value, on every authoritative address,
 * all queries in flight at once on one poll() loop.
 *
 * c-ares 1.18 cannot pick a server per query, so there is one channel per
 * distinct server address. A "target" is one name on one address: it has at
 * most one query in flight, and each answer is judged for every check that
 * waits on that name there (a wildcard and its apex share one name).
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "wire.h"

/* The first query goes out at once; then 20 ms, growing x1.5 to 5 s: a
 * secondary usually has the record milliseconds after NOTIFY. */
#define FIRST_INTERVAL_MS 20
#define MAX_INTERVAL_MS 5000
#define PROGRESS_MS 5000
#define STOP_POLL_MS 250
/* Pending (server, name) pairs named in a progress line or error. */
#define LIST_MAX 8

struct wait;

struct target {
	struct wait *w;
	size_t server; /* index into wait.channels / wait.servers */
	const char *fqdn;
	bool in_flight, done;
	long long next_due;
	long interval_ms;
};

/* One check on one server. */
struct pair {
	size_t check, target;
	bool confirmed;
	int status; /* c-ares status of the last answer, -1 before the first */
	enum da_dns_txt_verdict verdict; /* of the last answer, if status is ARES_SUCCESS */
	unsigned rcode;
};

struct wait {
	struct da_dns *dns;
	const struct da_dns_check *checks;
	size_t n_checks;
	size_t *missing; /* per check: servers that have not shown its value */
	bool *notified;
	const struct da_dns_server **servers; /* distinct addresses, borrowed from zones */
	ares_channel *channels;		      /* one per server */
	size_t n_servers;
	struct target *targets;
	size_t n_targets;
	struct pair *pairs;
	size_t n_pairs;
};

static void wait_free(struct wait *w)
{
	/* Destroying a channel completes its queries, which still see targets. */
	for (size_t i = 0; i < w->n_servers; i++)
		ares_destroy(w->channels[i]);
	free(w->channels);
	free(w->servers);
	free(w->targets);
	free(w->pairs);
	free(w->missing);
	free(w->notified);
}

/* The index of server in w->servers, adding it (and its channel) if new. */
static enum da_code add_server(struct wait *w, const struct da_dns_server *server,
			       size_t *index, struct da_err *err)
{
	const struct da_dns_server **grown;
	ares_channel *grown_ch;
	enum da_code rc;

	for (size_t i = 0; i < w->n_servers; i++) {
		if (da_dns_server_same(w->servers[i], server)) {
			*index = i;
			return DA_OK;
		}
	}
	grown = realloc(w->servers, (w->n_servers + 1) * sizeof(*grown));
	if (grown != NULL)
		w->servers = grown;
	grown_ch = realloc(w->channels, (w->n_servers + 1) * sizeof(*grown_ch));
	if (grown_ch != NULL)
		w->channels = grown_ch;
	if (grown == NULL || grown_ch == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	/* One try: the poll schedule, not c-ares, decides when to ask again. The
	 * raw answer is wanted even for REFUSED, to say so in the progress. */
	rc = da_dns_channel_new(&w->channels[w->n_servers], server, 1, ARES_FLAG_NOCHECKRESP, 1,
				w->dns->timeout_ms, err);
	if (rc != DA_OK)
		return da_err_wrap(err, "nameserver %s", server->label);
	w->servers[w->n_servers] = server;
	*index = w->n_servers++;
	return DA_OK;
}

static enum da_code add_target(struct wait *w, size_t server, const char *fqdn, size_t *index,
			       struct da_err *err)
{
	struct target *grown;

	for (size_t i = 0; i < w->n_targets; i++) {
		if (w->targets[i].server == server && da_dns_name_equal(w->targets[i].fqdn, fqdn)) {
			*index = i;
			return DA_OK;
		}
	}
	grown = realloc(w->targets, (w->n_targets + 1) * sizeof(*grown));
	if (grown == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	w->targets = grown;
	w->targets[w->n_targets] = (struct target){
		.w = w, .server = server, .fqdn = fqdn, .interval_ms = FIRST_INTERVAL_MS};
	*index = w->n_targets++;
	return DA_OK;
}

static enum da_code add_pair(struct wait *w, size_t check, size_t target, struct da_err *err)
{
	struct pair *grown;

	for (size_t i = 0; i < w->n_pairs; i++)
		if (w->pairs[i].check == check && w->pairs[i].target == target)
			return DA_OK; /* two NS names with one address */
	grown = realloc(w->pairs, (w->n_pairs + 1) * sizeof(*grown));
	if (grown == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	w->pairs = grown;
	w->pairs[w->n_pairs++] = (struct pair){.check = check, .target = target, .status = -1};
	w->missing[check]++;
	return DA_OK;
}

static enum da_code wait_init(struct wait *w, struct da_dns *dns,
			      const struct da_dns_check *checks, size_t n, struct da_err *err)
{
	w->dns = dns;
	w->checks = checks;
	w->n_checks = n;
	w->missing = calloc(n, sizeof(*w->missing));
	w->notified = calloc(n, sizeof(*w->notified));
	if (w->missing == NULL || w->notified == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct da_dns_zone *zone = checks[i].zone;

		if (checks[i].fqdn == NULL || checks[i].value == NULL || zone == NULL ||
		    zone->n_servers == 0)
			return da_err_set(err, DA_ERR_USAGE, "propagation check %zu (%s) has no "
					  "name, value or nameserver", i,
					  checks[i].fqdn ? checks[i].fqdn : "?");
		for (size_t s = 0; s < zone->n_servers; s++) {
			size_t server = 0, target = 0; /* set on DA_OK */
			enum da_code rc = add_server(w, &zone->servers[s], &server, err);

			if (rc == DA_OK)
				rc = add_target(w, server, checks[i].fqdn, &target, err);
			if (rc == DA_OK)
				rc = add_pair(w, i, target, err);
			if (rc != DA_OK)
				return rc;
		}
	}
	return DA_OK;
}

static void target_answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct target *t = arg;
	struct wait *w = t->w;
	size_t index = (size_t)(t - w->targets);
	bool all = true;

	(void)timeouts;
	t->in_flight = false;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED)
		return;
	for (size_t i = 0; i < w->n_pairs; i++) {
		struct pair *p = &w->pairs[i];

		if (p->target != index || p->confirmed)
			continue;
		p->status = status;
		if (status == ARES_SUCCESS)
			p->verdict = da_dns_txt_verdict(abuf, (size_t)alen, t->fqdn,
							w->checks[p->check].value, &p->rcode);
		if (status == ARES_SUCCESS && p->verdict == DA_DNS_TXT_FOUND) {
			p->confirmed = true;
			w->missing[p->check]--;
			da_logf(w->dns->log, DNSACME_LOG_DEBUG, "dns: %s has the TXT at %s",
				w->servers[t->server]->label, t->fqdn);
		} else {
			all = false;
		}
	}
	t->done = all;
	t->next_due = da_dns_now_ms() + t->interval_ms;
	t->interval_ms = t->interval_ms * 3 / 2;
	if (t->interval_ms > MAX_INTERVAL_MS)
		t->interval_ms = MAX_INTERVAL_MS;
}

/* "<server> lacks <name>" and the like, for a pair not yet confirmed. */
static int describe_pair(struct da_buf *b, const struct wait *w, const struct pair *p)
{
	const struct target *t = &w->targets[p->target];
	const char *server = w->servers[t->server]->label;
	char rcode[16];

	if (p->status < 0)
		return da_buf_printf(b, "%s has not answered for %s", server, t->fqdn);
	if (p->status != ARES_SUCCESS)
		return da_buf_printf(b, "%s did not answer for %s (%s)", server, t->fqdn,
				     ares_strerror(p->status));
	switch (p->verdict) {
	case DA_DNS_TXT_FOUND:
	case DA_DNS_TXT_MISSING:
		break;
	case DA_DNS_TXT_NOT_AUTH:
		return da_buf_printf(b, "%s is not authoritative for %s", server, t->fqdn);
	case DA_DNS_TXT_TRUNCATED:
		return da_buf_printf(b, "%s sent a truncated answer for %s", server, t->fqdn);
	case DA_DNS_TXT_RCODE:
		return da_buf_printf(b, "%s answered %s for %s", server,
				     da_dns_rcode_name(p->rcode, rcode, sizeof(rcode)), t->fqdn);
	case DA_DNS_TXT_MALFORMED:
		return da_buf_printf(b, "%s sent a malformed answer for %s", server, t->fqdn);
	}
	return da_buf_printf(b, "%s lacks %s", server, t->fqdn);
}

/* "waiting for 3 of 100 records: A lacks X, ..." (free()), or NULL (nomem). */
static char *pending_text(const struct wait *w)
{
	struct da_buf b = {0};
	size_t waiting = 0, listed = 0, unlisted = 0;
	int bad = 0;

	for (size_t i = 0; i < w->n_checks; i++)
		waiting += w->missing[i] > 0;
	bad |= da_buf_printf(&b, "waiting for %zu of %zu records: ", waiting, w->n_checks);
	for (size_t i = 0; i < w->n_pairs; i++) {
		if (w->pairs[i].confirmed)
			continue;
		if (listed == LIST_MAX) {
			unlisted++;
			continue;
		}
		if (listed++ > 0)
			bad |= da_buf_puts(&b, ", ");
		bad |= describe_pair(&b, w, &w->pairs[i]);
	}
	if (unlisted > 0)
		bad |= da_buf_printf(&b, ", and %zu more", unlisted);
	if (bad != 0) {
		da_buf_free(&b);
		return NULL;
	}
	return da_buf_take(&b);
}

/* Send every due query; lower *wake to the next one not yet due. */
static enum da_code send_due(struct wait *w, long long now, long long *wake, struct da_err *err)
{
	for (size_t i = 0; i < w->n_targets; i++) {
		struct target *t = &w->targets[i];
		enum da_code rc;

		if (t->done || t->in_flight)
			continue;
		if (t->next_due > now) {
			if (t->next_due < *wake)
				*wake = t->next_due;
			continue;
		}
		t->in_flight = true; /* before the send: its callback may run at once */
		rc = da_dns_send(w->channels[t->server], t->fqdn, DA_DNS_TYPE_TXT, false,
				 target_answered, t, err);
		if (rc != DA_OK)
			return rc;
	}
	return DA_OK;
}

/* Call on_ready for every check that just became complete; how many are done. */
static size_t notify_ready(struct wait *w, da_dns_ready_fn *on_ready, void *arg)
{
	size_t ready = 0;

	for (size_t i = 0; i < w->n_checks; i++) {
		if (w->missing[i] == 0 && !w->notified[i]) {
			w->notified[i] = true;
			da_logf(w->dns->log, DNSACME_LOG_DEBUG, "dns: TXT at %s is on all %zu "
				"nameservers of %s", w->checks[i].fqdn, w->checks[i].zone->n_servers,
				w->checks[i].zone->name);
			if (on_ready != NULL)
				on_ready(arg, i);
		}
		ready += w->notified[i];
	}
	return ready;
}

enum da_code da_dns_propagation_wait(struct da_dns *dns, const struct da_dns_check *checks,
				     size_t n, long timeout_seconds, da_dns_ready_fn *on_ready,
				     void *arg, struct da_err *err)
{
	struct wait w = {0};
	long long start = da_dns_now_ms(), deadline, next_progress = start + PROGRESS_MS;
	enum da_code rc;

	if (timeout_seconds <= 0)
		return da_err_set(err, DA_ERR_USAGE, "propagation timeout must be positive");
	deadline = start + (long long)timeout_seconds * 1000;
	rc = wait_init(&w, dns, checks, n, err);
	if (rc == DA_OK)
		da_logf(dns->log, DNSACME_LOG_INFO, "dns: checking %zu records on %zu "
			"nameserver addresses", n, w.n_servers);
	while (rc == DA_OK && notify_ready(&w, on_ready, arg) < n) {
		long long now = da_dns_now_ms(), wake;
		char *text = NULL;

		if (dns->stop != NULL && *dns->stop) {
			rc = da_err_set(err, DA_ERR_INTERRUPTED, "interrupted while waiting for "
					"DNS propagation");
			break;
		}
		if (now >= deadline || now >= next_progress) {
			text = pending_text(&w);
			if (text == NULL) {
				rc = da_err_set(err, DA_ERR_NOMEM, "out of memory");
				break;
			}
		}
		if (now >= deadline) {
			rc = da_err_set(err, DA_ERR_TIMEOUT, "TXT records not visible after %ld s: %s",
					timeout_seconds, text);
			free(text);
			break;
		}
		if (text != NULL) {
			da_logf(dns->log, DNSACME_LOG_INFO, "dns: %s", text);
			free(text);
			next_progress = now + PROGRESS_MS;
		}
		wake = deadline < next_progress ? deadline : next_progress;
		rc = send_due(&w, now, &wake, err);
		if (rc == DA_OK)
			rc = da_dns_loop_step(w.channels, w.n_servers,
					      wake - now < STOP_POLL_MS ? (long)(wake - now)
									: STOP_POLL_MS,
					      err);
	}
	wait_free(&w);
	return rc;
}
