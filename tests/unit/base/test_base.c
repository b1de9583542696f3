#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/log.h"
#include "base/sleep.h"
#include "check.h"

/* RFC 4648 section 10 test vectors. */
static void test_b64_rfc4648(void)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"",	    "Zg==",	"Zm8=",	    "Zm9v",
					    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char *enc = da_b64_encode(plain[i], strlen(plain[i]));
		size_t n = 99;
		unsigned char *dec = da_b64_decode(coded[i], &n);

		CHECK_STR(enc, coded[i]);
		CHECK(dec != NULL && n == strlen(plain[i]) && memcmp(dec, plain[i], n) == 0);
		free(enc);
		free(dec);
	}
}

static void test_b64url(void)
{
	static const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
	char *enc = da_b64url_encode(bytes, sizeof(bytes));
	size_t n;
	unsigned char *dec;

	CHECK_STR(enc, "-_-_");
	free(enc);
	dec = da_b64url_decode("-_-_", &n);
	CHECK(dec != NULL && n == 3 && memcmp(dec, bytes, 3) == 0);
	free(dec);
	CHECK(da_b64url_decode("ab+c", &n) == NULL);
	CHECK(da_b64url_decode("a", &n) == NULL);
}

static void test_err(void)
{
	struct da_err err;

	CHECK(da_err_set(&err, DA_ERR_CA, "line one\nline two") == DA_ERR_CA);
	CHECK_STR(err.msg, "line one line two");
	da_err_wrap(&err, "finalize %s", "order");
	CHECK_STR(err.msg, "finalize order: line one line two");
	CHECK(err.code == DA_ERR_CA);
	/* "return da_err_wrap(...)" never turns a failure into success. */
	CHECK(da_err_wrap(NULL, "context") == DA_ERR_INTERNAL);
	err.code = DA_OK;
	CHECK(da_err_wrap(&err, "context") == DA_ERR_INTERNAL);
	CHECK(err.code == DA_ERR_INTERNAL);
}

static void test_redact(void)
{
	struct da_log log;
	char text[128] = "key=SECRETVALUE and again SECRETVALUE; abc stays";

	da_log_init(&log, DNSACME_LOG_DEBUG, NULL);
	CHECK(da_log_add_secret(&log, "SECRETVALUE") == 0);
	CHECK(da_log_add_secret(&log, "abc") == 0); /* too short to redact */
	da_log_redact(&log, text, sizeof(text));
	CHECK_STR(text, "key=*** and again ***; abc stays");
	da_log_free(&log);
}

/* A line too long for any fixed buffer is redacted whole: no secret is cut
 * in two, its start printed and its end dropped. */
static void test_redact_long_line(void)
{
	struct da_log log;
	char *out = NULL, padding[8192];
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);

	memset(padding, 'x', sizeof(padding) - 1);
	padding[sizeof(padding) - 1] = '\0';
	da_log_init(&log, DNSACME_LOG_INFO, mem);
	CHECK(da_log_add_secret(&log, "SECRETVALUE") == 0);
	for (size_t cut = 4070; cut < 4100; cut++)
		da_logf(&log, DNSACME_LOG_INFO, "%.*s SECRETVALUE", (int)cut, padding);
	da_log_free(&log);
	fclose(mem);
	CHECK(out != NULL && strstr(out, "SECRE") == NULL);
	CHECK(out != NULL && strstr(out, " ***\n") != NULL);
	free(out);
}

static void test_buf(void)
{
	struct da_buf b = {0};
	char *s;

	CHECK(da_buf_puts(&b, "hello") == 0);
	CHECK(da_buf_printf(&b, " %d", 42) == 0);
	CHECK_STR(b.data, "hello 42");
	s = da_buf_take(&b);
	CHECK_STR(s, "hello 42");
	CHECK(b.data == NULL && b.len == 0);
	free(s);
}

static void test_backoff(void)
{
	for (int round = 0; round < 100; round++) {
		long first = da_backoff_ms(1, 1000, 60000), third = da_backoff_ms(3, 1000, 60000);
		long capped = da_backoff_ms(20, 1000, 60000);

		CHECK(first >= 500 && first <= 1000);
		CHECK(third >= 2000 && third <= 4000);
		CHECK(capped >= 30000 && capped <= 60000);
	}
}

static void test_sleep(void)
{
	volatile sig_atomic_t stop = 0;
	struct timespec a, b;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(da_sleep_ms(150, &stop) == 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 150);
	stop = 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK(da_sleep_ms(10000, &stop) != 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(b.tv_sec - a.tv_sec < 2);
}

int main(void)
{
	test_backoff();
	test_sleep();
	test_b64_rfc4648();
	test_b64url();
	test_err();
	test_redact();
	test_redact_long_line();
	test_buf();
	return check_report();
}
