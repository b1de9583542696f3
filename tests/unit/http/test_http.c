/*
 * core/http against a small HTTP/1.1 server run in a thread of the test on
 * 127.0.0.1: status, body, headers, connection reuse, logging, proxy (and
 * what bypasses it), TLS verification against a CA bundle that replaces the
 * system store, timeouts and refused connections.
 *
 * The TLS test needs root: it puts its own CA into /etc/ssl/certs inside a
 * private mount namespace, to show that a bundle really replaces that store.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "http/http.h"

struct server {
	int listen_fd;
	unsigned short port;
	volatile int stop;
	pthread_t thread;
	/* What the last request looked like, and how many connections came. */
	int accepted;
	char method[16];
	char target[256]; /* the request-target: a path, or a URL via a proxy */
	char body[256];
	char x_test[64];
	char user_agent[64];
	SSL_CTX *tls; /* serve_tls only */
};

/* Listen on an ephemeral loopback port; returns the fd, sets *port. */
static int listen_loopback(unsigned short *port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
		perror("listen_loopback");
		exit(2);
	}
	*port = ntohs(addr.sin_port);
	return fd;
}

/* Read until fd is readable or the server stops; 1 when readable. */
static int wait_readable(struct server *s, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (!s->stop) {
		if (poll(&p, 1, 50) > 0)
			return 1;
	}
	return 0;
}

static const char *header_value(const char *head, const char *name, char *out, size_t size)
{
	const char *p = strcasestr(head, name);

	out[0] = '\0';
	if (p != NULL) {
		p += strlen(name);
		snprintf(out, size, "%.*s", (int)strcspn(p, "\r\n"), p);
	}
	return out;
}

/* send() without SIGPIPE: the client hangs up on the oversized answers. */
static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* More headers, or more body, than the client accepts. */
static void respond_oversized(int fd, const char *path)
{
	char chunk[65536];
	int n = 0;

	if (strcmp(path, "/many-headers") == 0) {
		n = snprintf(chunk, sizeof(chunk), "HTTP/1.1 200 OK\r\n");
		for (int i = 0; i < 300; i++)
			n += snprintf(chunk + n, sizeof(chunk) - (size_t)n, "X-H%d: %d\r\n", i, i);
		n += snprintf(chunk + n, sizeof(chunk) - (size_t)n, "Content-Length: 0\r\n\r\n");
		send_all(fd, chunk, (size_t)n);
		return;
	}
	n = snprintf(chunk, sizeof(chunk), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n",
		     17 * 1024 * 1024);
	if (send_all(fd, chunk, (size_t)n) != 0)
		return;
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < 17 * 16; i++)
		if (send_all(fd, chunk, sizeof(chunk)) != 0)
			return;
}

static void respond(int fd, struct server *s, const char *path)
{
	char reply[1024];
	int n;

	if (strcmp(path, "/many-headers") == 0 || strcmp(path, "/big") == 0) {
		respond_oversized(fd, path);
		return;
	}
	if (strncmp(path, "/hello", 6) == 0) {
		n = snprintf(reply, sizeof(reply),
			     "HTTP/1.1 201 Created\r\n"
			     "Content-Type: text/plain\r\n"
			     "Link: <https://a.example/>;rel=\"up\"\r\n"
			     "Replay-Nonce:   abc123  \r\n"
			     "link: <https://b.example/>;rel=\"alternate\"\r\n"
			     "Retry-After: 7\r\n"
			     "Content-Length: 11\r\n\r\nhello world");
	} else {
		n = snprintf(reply, sizeof(reply),
			     "HTTP/1.1 200 OK\r\nX-Method: %s\r\nContent-Length: %zu\r\n\r\n%s",
			     s->method, strlen(s->body), s->body);
	}
	if (send_all(fd, reply, (size_t)n) != 0)
		perror("server write");
}

/* Serve requests on one connection until the client closes it. */
static void serve_connection(struct server *s, int fd)
{
	char req[4096];
	size_t have = 0;

	while (wait_readable(s, fd)) {
		ssize_t got = read(fd, req + have, sizeof(req) - 1 - have);
		char *end, cl[32];
		size_t head_len, body_len;

		if (got <= 0)
			return;
		have += (size_t)got;
		req[have] = '\0';
		end = strstr(req, "\r\n\r\n");
		if (end == NULL)
			continue;
		head_len = (size_t)(end + 4 - req);
		body_len = (size_t)atol(header_value(req, "\r\nContent-Length:", cl, sizeof(cl)));
		if (have < head_len + body_len)
			continue;
		sscanf(req, "%15s %255s", s->method, s->target);
		snprintf(s->body, sizeof(s->body), "%.*s", (int)body_len, req + head_len);
		header_value(req, "\r\nX-Test: ", s->x_test, sizeof(s->x_test));
		header_value(req, "\r\nUser-Agent: ", s->user_agent, sizeof(s->user_agent));
		respond(fd, s, s->target);
		memmove(req, req + head_len + body_len, have - head_len - body_len);
		have -= head_len + body_len;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;

	while (wait_readable(s, s->listen_fd)) {
		int fd = accept(s->listen_fd, NULL, NULL);

		if (fd < 0)
			continue;
		s->accepted++;
		serve_connection(s, fd);
		close(fd);
	}
	return NULL;
}

/* One TLS exchange per connection: enough to see verification work. */
static void *serve_tls(void *arg)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
				    "Connection: close\r\n\r\ntls";
	struct server *s = arg;

	while (wait_readable(s, s->listen_fd)) {
		int fd = accept(s->listen_fd, NULL, NULL);
		SSL *ssl = fd >= 0 ? SSL_new(s->tls) : NULL;
		char req[2048];
		int n;

		if (ssl == NULL) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		s->accepted++;
		SSL_set_fd(ssl, fd);
		/* A client that refuses the certificate makes the handshake fail. */
		if (SSL_accept(ssl) == 1 && (n = SSL_read(ssl, req, sizeof(req) - 1)) > 0) {
			req[n] = '\0';
			sscanf(req, "%15s %255s", s->method, s->target);
			SSL_write(ssl, reply, (int)strlen(reply));
			SSL_shutdown(ssl);
		}
		SSL_free(ssl);
		close(fd);
		ERR_clear_error();
	}
	return NULL;
}

static void server_start(struct server *s, void *(*run)(void *), SSL_CTX *tls)
{
	memset(s, 0, sizeof(*s));
	s->tls = tls;
	s->listen_fd = listen_loopback(&s->port);
	if (pthread_create(&s->thread, NULL, run, s) != 0)
		exit(2);
}

static void server_stop(struct server *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
}

static struct dnsacme_http_response hdr_response(struct dnsacme_http_header *h, size_t n)
{
	struct dnsacme_http_response r = {.status = 200, .headers = h, .n_headers = n};

	return r;
}

static void test_retry_after(void)
{
	struct dnsacme_http_header h = {"retry-after", "120"};
	struct dnsacme_http_response r = hdr_response(&h, 1);
	/* Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date. */
	time_t date = 784111777;

	CHECK(da_http_retry_after_ms(&r, 0) == 120000);
	h.value = "0";
	CHECK(da_http_retry_after_ms(&r, 0) == 0);
	h.value = "Sun, 06 Nov 1994 08:49:37 GMT";
	CHECK(da_http_retry_after_ms(&r, date - 30) == 30000);
	CHECK(da_http_retry_after_ms(&r, date + 30) == 0); /* in the past: now */
	h.value = "Sunday, 06-Nov-94 08:49:37 GMT";	   /* obsolete RFC 850 form */
	CHECK(da_http_retry_after_ms(&r, date - 5) == 5000);
	h.value = "99999999999999999999999";
	CHECK(da_http_retry_after_ms(&r, 0) > 0);
	h.value = "soon";
	CHECK(da_http_retry_after_ms(&r, 0) == -1);
	h.value = "-5";
	CHECK(da_http_retry_after_ms(&r, 0) == -1);
	h.value = "";
	CHECK(da_http_retry_after_ms(&r, 0) == -1);
	r.n_headers = 0;
	CHECK(da_http_retry_after_ms(&r, 0) == -1);
}

static void test_header_lookup(void)
{
	struct dnsacme_http_header h[] = {{"link", "<a>;rel=\"up\""},
					  {"content-type", "application/json"},
					  {"link", "<b>;rel=\"alternate\""}};
	struct dnsacme_http_response r = hdr_response(h, 3);
	const char **links;
	size_t n = 99;

	CHECK_STR(da_http_header(&r, "Content-Type"), "application/json");
	CHECK_STR(da_http_header(&r, "LINK"), "<a>;rel=\"up\"");
	CHECK(da_http_header(&r, "location") == NULL);
	links = da_http_headers(&r, "Link", &n);
	CHECK(links != NULL && n == 2);
	if (links != NULL && n == 2) {
		CHECK_STR(links[0], "<a>;rel=\"up\"");
		CHECK_STR(links[1], "<b>;rel=\"alternate\"");
		CHECK(links[2] == NULL);
	}
	free(links);
	links = da_http_headers(&r, "location", &n);
	CHECK(links != NULL && n == 0 && links[0] == NULL);
	free(links);
}

static void test_exchange(void)
{
	struct server s;
	struct da_log log;
	struct da_http *http = NULL;
	struct da_err err = {0};
	struct dnsacme_http_response resp;
	char url[128], *logged = NULL;
	size_t logged_len = 0;
	FILE *logf = open_memstream(&logged, &logged_len);
	static const struct dnsacme_http_header headers[] = {{"X-Test", "yes"},
							     {"Content-Type", "text/plain"}};
	struct dnsacme_http_request req = {.method = "GET"};
	const char **links;
	size_t n;

	server_start(&s, serve, NULL);
	da_log_init(&log, DNSACME_LOG_DEBUG, logf);
	CHECK(da_http_new(&http, NULL, &log, &err) == DA_OK);

	snprintf(url, sizeof(url), "http://user:pw@127.0.0.1:%u/hello?token=QUERYSECRET", s.port);
	req.url = url;
	CHECK(da_http_do(http, &req, &resp, &err) == DA_OK);
	CHECK(resp.status == 201);
	CHECK(resp.body_len == 11);
	CHECK_STR(resp.body, "hello world");
	CHECK_STR(da_http_header(&resp, "Content-Type"), "text/plain");
	CHECK_STR(da_http_header(&resp, "replay-nonce"), "abc123");
	CHECK(da_http_retry_after_ms(&resp, time(NULL)) == 7000);
	links = da_http_headers(&resp, "link", &n);
	CHECK(links != NULL && n == 2);
	free(links);
	/* Names arrive lower-cased, in order, values trimmed. */
	CHECK(resp.n_headers == 6);
	if (resp.n_headers == 6) {
		CHECK_STR(resp.headers[0].name, "content-type");
		CHECK_STR(resp.headers[2].name, "replay-nonce");
		CHECK_STR(resp.headers[3].name, "link");
	}
	da_http_response_free(&resp);
	CHECK(resp.body == NULL && resp.n_headers == 0);

	/* A POST with a body and headers, on the same connection. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/echo", s.port);
	req.method = "POST";
	req.body = "{\"private\":\"BODYSECRET\"}";
	req.body_len = strlen(req.body);
	req.headers = headers;
	req.n_headers = 2;
	CHECK(da_http_do(http, &req, &resp, &err) == DA_OK);
	CHECK(resp.status == 200);
	CHECK_STR(resp.body, "{\"private\":\"BODYSECRET\"}");
	CHECK_STR(s.method, "POST");
	CHECK_STR(s.x_test, "yes");
	da_http_response_free(&resp);

	/* PUT through CUSTOMREQUEST, DELETE without a body. */
	req.method = "PUT";
	req.body = "abc";
	req.body_len = 3;
	CHECK(da_http_do(http, &req, &resp, &err) == DA_OK);
	CHECK_STR(s.method, "PUT");
	CHECK_STR(resp.body, "abc");
	da_http_response_free(&resp);
	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	CHECK(da_http_do(http, &req, &resp, &err) == DA_OK);
	CHECK_STR(s.method, "DELETE");
	CHECK(resp.body_len == 0 && resp.body != NULL && resp.body[0] == '\0');
	da_http_response_free(&resp);

	/* A header that would smuggle a second one is refused. */
	{
		struct dnsacme_http_header bad = {"X-Test", "a\r\nX-Evil: 1"};

		req.headers = &bad;
		req.n_headers = 1;
		CHECK(da_http_do(http, &req, &resp, &err) == DA_ERR_USAGE);
		CHECK(resp.body == NULL);
		req.headers = NULL;
		req.n_headers = 0;
	}

	CHECK_STR(s.user_agent, "dnsacme/" DNSACME_VERSION);
	CHECK(s.accepted == 1); /* every exchange reused one connection */

	/* A hostile server cannot make the client hold unbounded answers. */
	req.method = "GET";
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/many-headers", s.port);
	CHECK(da_http_do(http, &req, &resp, &err) == DA_ERR_PROTOCOL);
	CHECK(strstr(err.msg, "/many-headers: the answer is over 16 MiB or has over 256 "
			      "headers") != NULL);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/big", s.port);
	CHECK(da_http_do(http, &req, &resp, &err) == DA_ERR_PROTOCOL);
	CHECK(resp.body == NULL && resp.headers == NULL);
	da_http_free(http);
	server_stop(&s);
	da_log_free(&log);
	fclose(logf);

	CHECK(logged != NULL && strstr(logged, "GET http://127.0.0.1:") != NULL);
	CHECK(logged != NULL && strstr(logged, "/hello?... -> 201 (") != NULL);
	CHECK(logged != NULL && strstr(logged, "/echo -> 200 (") != NULL);
	CHECK(logged != NULL && strstr(logged, "QUERYSECRET") == NULL);
	CHECK(logged != NULL && strstr(logged, "user:pw") == NULL);
	CHECK(logged != NULL && strstr(logged, "BODYSECRET") == NULL);
	free(logged);
}

/* The proxy and user agent settings reach the wire. */
static void test_proxy(void)
{
	struct server s;
	char proxy[64];
	struct da_http_config cfg = {.proxy = proxy, .user_agent = "probe/1"};
	struct da_http *http = NULL;
	struct da_err err = {0};
	struct dnsacme_http_response resp;
	struct dnsacme_http_request req = {.method = "GET", .url = "http://ca.invalid/dir"};

	server_start(&s, serve, NULL);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", s.port);
	CHECK(da_http_new(&http, &cfg, NULL, &err) == DA_OK);
	proxy[0] = '\0'; /* the client holds its own copy */
	CHECK(da_http_do(http, &req, &resp, &err) == DA_OK);
	CHECK(resp.status == 200);
	CHECK_STR(s.target, "http://ca.invalid/dir");
	CHECK_STR(s.user_agent, "probe/1");
	da_http_response_free(&resp);
	da_http_free(http);
	server_stop(&s);
}

/* Metadata agents and loopback are reached directly, never through the proxy
 * (their tokens would cross it in clear); so is a request flagged direct. */
static void test_proxy_bypass(void)
{
	struct server proxy_server, agent;
	char proxy[64], url[64];
	struct da_http_config cfg = {.proxy = proxy};
	struct da_http *http = NULL;
	struct da_err err = {0};
	struct dnsacme_http_response resp;
	struct dnsacme_http_request req = {.method = "GET", .url = url};

	server_start(&proxy_server, serve, NULL);
	server_start(&agent, serve, NULL);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", proxy_server.port);
	CHECK(da_http_new(&http, &cfg, NULL, &err) == DA_OK);

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/credentials", agent.port);
	CHECK(da_http_do(http, &req, &resp, &err) == DA_OK);
	CHECK_STR(agent.target, "/v1/credentials");
	da_http_response_free(&resp);
	/* The test server holds one connection at a time: a second one for a
	 * second host name. */
	server_stop(&agent);
	server_start(&agent, serve, NULL);
	snprintf(url, sizeof(url), "http://localhost:%u/creds", agent.port);
	CHECK(da_http_do(http, &req, &resp, &err) == DA_OK);
	CHECK_STR(agent.target, "/creds");
	da_http_response_free(&resp);

	/* Flagged direct: not handed to the proxy, so the name must resolve. */
	req.url = "http://ca.invalid/dir";
	req.flags = DNSACME_HTTP_DIRECT;
	CHECK(da_http_do(http, &req, &resp, &err) == DA_ERR_NETWORK);
	/* Not flagged: the proxy gets it. */
	req.flags = 0;
	CHECK(da_http_do(http, &req, &resp, &err) == DA_OK);
	CHECK_STR(proxy_server.target, "http://ca.invalid/dir");
	CHECK(proxy_server.accepted == 1);
	da_http_response_free(&resp);
	da_http_free(http);
	server_stop(&agent);
	server_stop(&proxy_server);
}

/* A self-signed certificate for IP 127.0.0.1 with subject CN cn, and its key. */
static int make_certificate(const char *cn, EVP_PKEY **key_out, X509 **cert_out)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509_EXTENSION *san = NULL;
	X509V3_CTX ctx;
	int ok = key != NULL && cert != NULL && name != NULL;

	ok = ok && X509_set_version(cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert), -60) != NULL &&
	     X509_gmtime_adj(X509_getm_notAfter(cert), 3600) != NULL;
	ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					      (const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_subject_name(cert, name) && X509_set_issuer_name(cert, name) &&
	     X509_set_pubkey(cert, key);
	if (ok) {
		X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
		san = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
		ok = san != NULL && X509_add_ext(cert, san, -1);
	}
	ok = ok && X509_sign(cert, key, EVP_sha256()) > 0;
	X509_EXTENSION_free(san);
	X509_NAME_free(name);
	if (!ok) {
		EVP_PKEY_free(key);
		X509_free(cert);
		return -1;
	}
	*key_out = key;
	*cert_out = cert;
	return 0;
}

/* Write cert as PEM to path; 0 on success. */
static int write_pem(const char *path, X509 *cert)
{
	FILE *f = fopen(path, "w");
	int ok = f != NULL && PEM_write_X509(f, cert);

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/*
 * A system store that trusts cert: in a private mount namespace, a directory
 * holding it as ca-certificates.crt and under its hash name (as
 * update-ca-certificates leaves them) is mounted over /etc/ssl/certs.
 */
static int trust_in_system_store(X509 *cert, char *dir)
{
	char path[128];

	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/ca-certificates.crt", dir);
	if (write_pem(path, cert) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%08lx.0", dir, X509_subject_name_hash(cert));
	if (write_pem(path, cert) != 0)
		return -1;
	return mount(dir, "/etc/ssl/certs", NULL, MS_BIND, NULL);
}

static void remove_store(const char *dir, X509 *cert)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/ca-certificates.crt", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%08lx.0", dir, X509_subject_name_hash(cert));
	unlink(path);
	rmdir(dir);
}

/* A TLS server on 127.0.0.1 with a self-signed certificate, and two bundles:
 * bundle holds the server's certificate, other another CA's. */
struct tls_fixture {
	char bundle[32], other[32];
	SSL_CTX *tls;
	EVP_PKEY *key, *other_key;
	X509 *cert, *other_cert;
	struct server s;
	char url[64];
};

static int tls_fixture_start(struct tls_fixture *f)
{
	int bundle_fd, other_fd;

	memset(f, 0, sizeof(*f));
	snprintf(f->bundle, sizeof(f->bundle), "/tmp/dnsacme-http-ca-XXXXXX");
	snprintf(f->other, sizeof(f->other), "/tmp/dnsacme-http-other-XXXXXX");
	bundle_fd = mkstemp(f->bundle);
	other_fd = mkstemp(f->other);
	if (bundle_fd >= 0)
		close(bundle_fd);
	if (other_fd >= 0)
		close(other_fd);
	f->tls = SSL_CTX_new(TLS_server_method());
	if (bundle_fd < 0 || other_fd < 0 || f->tls == NULL ||
	    make_certificate("127.0.0.1", &f->key, &f->cert) != 0 ||
	    /* Another subject: OpenSSL looks issuers up by name. */
	    make_certificate("another CA", &f->other_key, &f->other_cert) != 0 ||
	    write_pem(f->bundle, f->cert) != 0 || write_pem(f->other, f->other_cert) != 0 ||
	    !SSL_CTX_use_certificate(f->tls, f->cert) || !SSL_CTX_use_PrivateKey(f->tls, f->key))
		return -1;
	/* No resumed sessions: each connection's certificate is verified. */
	SSL_CTX_set_options(f->tls, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(f->tls, SSL_SESS_CACHE_OFF);
	server_start(&f->s, serve_tls, f->tls);
	snprintf(f->url, sizeof(f->url), "https://127.0.0.1:%u/tls", f->s.port);
	return 0;
}

static void tls_fixture_stop(struct tls_fixture *f)
{
	if (f->s.thread)
		server_stop(&f->s);
	unlink(f->bundle);
	unlink(f->other);
	SSL_CTX_free(f->tls);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->other_key);
	X509_free(f->cert);
	X509_free(f->other_cert);
}

/* Put a new file with cert at path, as a package update or a remounted
 * ConfigMap does (a write in place within the same clock tick and of the
 * same size would look unchanged). */
static int replace_pem(const char *path, X509 *cert)
{
	char next[64];

	snprintf(next, sizeof(next), "%s.next", path);
	return write_pem(next, cert) == 0 && rename(next, path) == 0 ? 0 : -1;
}

/* One GET of url: the code, and the status of an answer (freed). */
static enum da_code get_once(struct da_http *http, const char *url, struct da_err *err)
{
	struct dnsacme_http_request req = {.method = "GET", .url = url};
	struct dnsacme_http_response resp;
	enum da_code rc = da_http_do(http, &req, &resp, err);

	if (rc == DA_OK) {
		CHECK(resp.status == 200);
		CHECK_STR(resp.body, "tls");
		da_http_response_free(&resp);
	}
	return rc;
}

/* Verification is on, the CA bundle decides what is trusted, and a bundle
 * replaces the system store rather than adding to it. */
static void test_tls(void)
{
	char store[] = "/tmp/dnsacme-http-store-XXXXXX";
	struct tls_fixture f;
	const struct da_http_config cfg = {.ca_bundle = f.bundle};
	const struct da_http_config other_cfg = {.ca_bundle = f.other};
	struct da_http *http = NULL;
	struct da_err err = {0};

	if (tls_fixture_start(&f) != 0) {
		CHECK(!"TLS test setup");
		goto out;
	}

	/* The system store does not know this certificate: no retry is worth it. */
	CHECK(da_http_new(&http, NULL, NULL, &err) == DA_OK);
	CHECK(get_once(http, f.url, &err) == DA_ERR_TLS);
	CHECK(strstr(err.msg, "GET https://127.0.0.1:") != NULL);
	CHECK(strstr(err.msg, "certificate") != NULL);
	da_http_free(http);

	CHECK(da_http_new(&http, &cfg, NULL, &err) == DA_OK);
	CHECK(get_once(http, f.url, &err) == DA_OK);
	CHECK_STR(f.s.target, "/tls");
	da_http_free(http);

	/* Now the system store trusts the server, and a bundle of another CA
	 * must still refuse it. */
	if (trust_in_system_store(f.cert, store) != 0) {
		CHECK(!"a private /etc/ssl/certs (the test needs root)");
		goto out;
	}
	CHECK(da_http_new(&http, NULL, NULL, &err) == DA_OK);
	CHECK(get_once(http, f.url, &err) == DA_OK); /* the store works */
	da_http_free(http);
	CHECK(da_http_new(&http, &other_cfg, NULL, &err) == DA_OK);
	CHECK(get_once(http, f.url, &err) == DA_ERR_TLS);
	da_http_free(http);
	umount("/etc/ssl/certs");
	remove_store(store, f.cert);
out:
	tls_fixture_stop(&f);
}

/* Siblings trust what their first does, the CAs read once for all; a bundle
 * rewritten is read again for the next connection; CAs given as PEM text;
 * a bundle that cannot be read is named in the error. The server closes
 * every connection after one answer, so each GET is a new handshake. */
static void test_tls_shared_trust(void)
{
	struct tls_fixture f;
	const struct da_http_config cfg = {.ca_bundle = f.bundle};
	struct da_http *first = NULL, *sibling = NULL, *system = NULL, *system_sibling = NULL;
	struct da_err err = {0};
	char *pem = NULL;
	long pem_len;
	FILE *in = NULL;

	if (tls_fixture_start(&f) != 0) {
		CHECK(!"TLS test setup");
		goto out;
	}

	CHECK(da_http_new(&first, &cfg, NULL, &err) == DA_OK);
	CHECK(da_http_new_sibling(&sibling, first, NULL, &err) == DA_OK);
	CHECK(get_once(sibling, f.url, &err) == DA_OK);
	CHECK(get_once(first, f.url, &err) == DA_OK);
	/* A sibling of a system-store client does not trust the bundle. */
	CHECK(da_http_new(&system, NULL, NULL, &err) == DA_OK);
	CHECK(da_http_new_sibling(&system_sibling, system, NULL, &err) == DA_OK);
	CHECK(get_once(system_sibling, f.url, &err) == DA_ERR_TLS);

	/* The bundle now holds another CA: both refuse the server ... */
	CHECK(replace_pem(f.bundle, f.other_cert) == 0);
	CHECK(get_once(sibling, f.url, &err) == DA_ERR_TLS);
	CHECK(get_once(first, f.url, &err) == DA_ERR_TLS);
	/* ... until it holds the server's again; the first client is gone by
	 * then, and its sibling goes on alone. */
	CHECK(replace_pem(f.bundle, f.cert) == 0);
	da_http_free(first);
	first = NULL;
	CHECK(get_once(sibling, f.url, &err) == DA_OK);

	/* A bundle that is gone: named, and no retry is worth it. */
	unlink(f.bundle);
	CHECK(get_once(sibling, f.url, &err) == DA_ERR_TLS);
	CHECK(strstr(err.msg, "cannot read the CA bundle /tmp/dnsacme-http-ca-") != NULL);

	/* The CAs as PEM text (a kubeconfig's certificate-authority-data). */
	CHECK(write_pem(f.other, f.cert) == 0 && (in = fopen(f.other, "r")) != NULL);
	if (in != NULL && fseek(in, 0, SEEK_END) == 0 && (pem_len = ftell(in)) > 0 &&
	    (pem = calloc(1, (size_t)pem_len + 1)) != NULL) {
		rewind(in);
		CHECK(fread(pem, 1, (size_t)pem_len, in) == (size_t)pem_len);
		const struct da_http_config pem_cfg = {.ca_pem = pem},
					     junk_cfg = {.ca_pem = "not a certificate"};
		struct da_http *http = NULL;

		CHECK(da_http_new(&http, &pem_cfg, NULL, &err) == DA_OK);
		CHECK(get_once(http, f.url, &err) == DA_OK);
		da_http_free(http);
		CHECK(da_http_new(&http, &junk_cfg, NULL, &err) == DA_OK);
		CHECK(get_once(http, f.url, &err) == DA_ERR_TLS);
		CHECK(strstr(err.msg, "cannot read the trusted CAs given as PEM") != NULL);
		da_http_free(http);
	}
out:
	if (in != NULL)
		fclose(in);
	free(pem);
	da_http_free(first);
	da_http_free(sibling);
	da_http_free(system);
	da_http_free(system_sibling);
	tls_fixture_stop(&f);
}

/* Overwrite path in place with as many bytes of junk, its mtime kept: a
 * change that looks like none. */
static int spoil_in_place(const char *path)
{
	struct stat st;
	struct timespec times[2];
	char *junk;
	FILE *f;
	int ok;

	if (stat(path, &st) != 0 || (junk = malloc((size_t)st.st_size)) == NULL)
		return -1;
	memset(junk, 'x', (size_t)st.st_size);
	f = fopen(path, "r+");
	ok = f != NULL && fwrite(junk, 1, (size_t)st.st_size, f) == (size_t)st.st_size;
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	free(junk);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	return ok && utimensat(AT_FDCWD, path, times, 0) == 0 ? 0 : -1;
}

/* da_http_read_trust() reads the CAs at once (what siblings and processes
 * forked after it share), and says so when it cannot. */
static void test_read_trust(void)
{
	struct tls_fixture f;
	const struct da_http_config cfg = {.ca_bundle = f.bundle},
				    missing = {.ca_bundle = "/nonexistent/ca.pem"};
	struct da_http *http = NULL, *sibling = NULL;
	struct da_err err = {0};

	if (tls_fixture_start(&f) != 0) {
		CHECK(!"TLS test setup");
		goto out;
	}
	CHECK(da_http_new(&http, &cfg, NULL, &err) == DA_OK);
	CHECK(da_http_read_trust(http, &err) == DA_OK);
	/* The bundle is junk now, but looks unchanged: what was read counts,
	 * for a sibling made after too (it shares, it does not read). */
	CHECK(spoil_in_place(f.bundle) == 0);
	CHECK(get_once(http, f.url, &err) == DA_OK);
	CHECK(da_http_new_sibling(&sibling, http, NULL, &err) == DA_OK);
	CHECK(get_once(sibling, f.url, &err) == DA_OK);
	da_http_free(sibling);
	da_http_free(http);
	/* A new client reads the junk. */
	CHECK(da_http_new(&http, &cfg, NULL, &err) == DA_OK);
	CHECK(da_http_read_trust(http, &err) == DA_ERR_TLS);
	CHECK(strstr(err.msg, "cannot read the CA bundle /tmp/dnsacme-http-ca-") != NULL);
	da_http_free(http);
	CHECK(da_http_new(&http, &missing, NULL, &err) == DA_OK);
	CHECK(da_http_read_trust(http, &err) == DA_ERR_TLS);
	CHECK(strstr(err.msg, "cannot read the CA bundle /nonexistent/ca.pem") != NULL);
	da_http_free(http);
out:
	tls_fixture_stop(&f);
}

static void test_timeout(void)
{
	unsigned short port;
	/* Listening but never accepting: the kernel completes the handshake,
	 * then nothing ever answers. */
	int fd = listen_loopback(&port);
	struct da_http_config cfg = {.timeout_ms = 5000};
	struct da_http *http = NULL;
	struct da_err err = {0};
	struct dnsacme_http_response resp;
	struct dnsacme_http_request req = {.method = "GET", .timeout_ms = 300};
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	req.url = url;
	CHECK(da_http_new(&http, &cfg, NULL, &err) == DA_OK);
	CHECK(da_http_do(http, &req, &resp, &err) == DA_ERR_TIMEOUT);
	CHECK(strstr(err.msg, url) != NULL);
	CHECK(resp.body == NULL && resp.headers == NULL);
	da_http_free(http);
	close(fd);
}

static void test_refused(void)
{
	unsigned short port;
	int fd = listen_loopback(&port);
	struct da_http *http = NULL;
	struct da_err err = {0};
	struct dnsacme_http_response resp;
	struct dnsacme_http_request req = {.method = "GET"};
	char url[64];

	close(fd); /* nothing listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", port);
	req.url = url;
	CHECK(da_http_new(&http, NULL, NULL, &err) == DA_OK);
	CHECK(da_http_do(http, &req, &resp, &err) == DA_ERR_NETWORK);
	CHECK(err.code == DA_ERR_NETWORK);
	CHECK(strstr(err.msg, "GET http://127.0.0.1:") != NULL);
	req.url = "ftp://127.0.0.1/x"; /* only http and https are spoken */
	CHECK(da_http_do(http, &req, &resp, &err) == DA_ERR_NETWORK);
	da_http_free(http);
}

int main(void)
{
	static const char *const proxy_vars[] = {"http_proxy", "HTTPS_PROXY", "https_proxy",
						 "ALL_PROXY", "all_proxy"};

	/* The loopback servers must be reached directly, whatever CI sets. */
	for (size_t i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]); i++)
		unsetenv(proxy_vars[i]);
	test_retry_after();
	test_header_lookup();
	test_exchange();
	test_proxy();
	test_proxy_bypass();
	test_tls();
	test_tls_shared_trust();
	test_read_trust();
	test_timeout();
	test_refused();
	return check_report();
}
