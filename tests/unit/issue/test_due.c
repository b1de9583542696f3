/* da_issue_due on fixed clocks and hand-made certificates. */
#include <string.h>

#include "check.h"
#include "issue/due.h"

#define DAY 86400
/* A 90-day certificate from T0. */
#define T0 1800000000

static char *sans[] = {"example.com", "*.example.com"};
static const char *names[] = {"*.example.com", "example.com"};
static struct da_cert_info leaf = {
	.sans = sans, .n_sans = 2, .not_before = T0, .not_after = T0 + 90 * DAY};
static struct da_chain chain = {.certs = &leaf, .n_certs = 1};
static struct da_cert_stored stored = {
	.chain = &chain, .ca = "https://ca.test/dir", .key_type = "ec256"};

static struct da_due_policy at(time_t now)
{
	return (struct da_due_policy){.names = names,
				      .n_names = 2,
				      .ca = "https://ca.test/dir",
				      .key_type = DA_KEY_EC256,
				      .renew_before_days = -1,
				      .now = now};
}

static void test_third_of_lifetime(void)
{
	struct da_due_policy p = at(T0 + 59 * DAY);

	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE); /* 31 days left of 90 */
	p.now = T0 + 61 * DAY;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_LIFETIME); /* 29 left */
	p.now = T0 + 90 * DAY;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_EXPIRED);
	CHECK(da_issue_due(NULL, &p) == DA_DUE_MISSING);
}

static void test_renew_before(void)
{
	struct da_due_policy p = at(T0 + 59 * DAY);

	p.renew_before_days = 30;
	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE); /* 31 days left */
	p.now = T0 + 60 * DAY;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_RENEW_BEFORE); /* exactly 30 */
	p.now = T0 + 60 * DAY - 1;
	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE); /* a second more than 30 */
	p.renew_before_days = 0;
	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE);
	/* No number of days overflows: always due. */
	p.renew_before_days = 0x7fffffffffffffffL;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_RENEW_BEFORE);
}

static void test_ari_window(void)
{
	struct da_acme_renewal ari = {.window_start = T0 + 50 * DAY,
				      .window_end = T0 + 52 * DAY,
				      .retry_after_seconds = -1};
	struct da_due_policy p = at(T0 + 49 * DAY);

	p.ari = &ari;
	p.ari_point = 0.5;
	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE);
	p.now = T0 + 51 * DAY - 1;
	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE); /* before the chosen point */
	p.now = T0 + 51 * DAY;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_ARI_WINDOW);
	/* The window replaces the third rule: 20 days left, not due before it. */
	ari.window_start = T0 + 75 * DAY;
	ari.window_end = T0 + 76 * DAY;
	p.now = T0 + 70 * DAY;
	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE);
	/* A window the CA moved into the past (a revocation) wins over the
	 * days of notice. */
	ari.window_start = T0 + 1 * DAY;
	ari.window_end = T0 + 2 * DAY;
	p.now = T0 + 10 * DAY;
	p.renew_before_days = 30;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_ARI_WINDOW);
	/* A window that ends before it starts is its start. */
	ari.window_start = T0 + 40 * DAY;
	ari.window_end = T0 + 30 * DAY;
	p.ari_point = 0.99;
	p.now = T0 + 40 * DAY;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_ARI_WINDOW);
}

static void test_changed(void)
{
	const char *other[] = {"example.com"};
	struct da_due_policy p = at(T0 + DAY);
	struct da_cert_stored unknown = stored;

	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE);
	p.key_type = DA_KEY_RSA2048;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_CHANGED);
	p = at(T0 + DAY);
	p.ca = "https://other.test/dir";
	CHECK(da_issue_due(&stored, &p) == DA_DUE_CHANGED);
	p = at(T0 + DAY);
	p.names = other;
	p.n_names = 1;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_CHANGED);
	/* What was not recorded (a Secret another tool wrote) is a change. */
	unknown.ca = NULL;
	p = at(T0 + DAY);
	CHECK(da_issue_due(&unknown, &p) == DA_DUE_CHANGED);
	CHECK_STR(da_due_str(DA_DUE_ARI_WINDOW), "inside the CA's renewal window");
}

/* "Not due until": the moment each rule first says due. */
static void test_due_at(void)
{
	struct da_acme_renewal ari = {.window_start = T0 + 50 * DAY,
				      .window_end = T0 + 52 * DAY};
	struct da_due_policy p = at(T0);

	CHECK(da_issue_due_at(&stored, &p) == T0 + 60 * DAY);
	p.now = da_issue_due_at(&stored, &p);
	CHECK(da_issue_due(&stored, &p) == DA_NOT_DUE); /* 30 days left is not less than a third */
	p.now++;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_LIFETIME);
	p = at(T0);
	p.renew_before_days = 10;
	CHECK(da_issue_due_at(&stored, &p) == T0 + 80 * DAY);
	p.now = T0 + 80 * DAY;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_RENEW_BEFORE);
	p.renew_before_days = 1000; /* more than the lifetime: due from the start */
	CHECK(da_issue_due_at(&stored, &p) == T0);
	p = at(T0);
	p.ari = &ari;
	p.ari_point = 0.5;
	CHECK(da_issue_due_at(&stored, &p) == T0 + 51 * DAY);
	p.now = T0 + 51 * DAY;
	CHECK(da_issue_due(&stored, &p) == DA_DUE_ARI_WINDOW);
	p.renew_before_days = 45; /* the earlier of the two */
	CHECK(da_issue_due_at(&stored, &p) == T0 + 45 * DAY);
	ari.window_start = T0 + 100 * DAY; /* never past notAfter */
	ari.window_end = T0 + 101 * DAY;
	p.renew_before_days = -1;
	CHECK(da_issue_due_at(&stored, &p) == T0 + 90 * DAY);
}

int main(void)
{
	test_due_at();
	test_third_of_lifetime();
	test_renew_before();
	test_ari_window();
	test_changed();
	return check_report();
}
