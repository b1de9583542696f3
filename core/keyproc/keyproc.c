/*
 * The key processes (keyproc.h): a fork per key and a request/answer
 * protocol over a socketpair. Every message is a frame: a 4-byte big-endian
 * length, a tag and the payload. Requests are tagged with their operation;
 * answers with an enum da_code, the payload being the result for DA_OK and
 * the error message otherwise. The first answer, before any request, is the
 * key's public half (DER SubjectPublicKeyInfo) or why there is none.
 */
#include "keyproc/keyproc.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/x509.h>
#include <seccomp.h>

#include "base/buf.h"

/* Far above any JWS input, CSR or chain; a bound on what a peer can make us
 * allocate. */
#define FRAME_MAX (4u << 20)

enum op { OP_SIGN = 'S', OP_CSR = 'C', OP_WRITE = 'W' };

struct da_keyproc {
	pid_t pid;
	int fd;
	EVP_PKEY *public_key;
};

/* What a child is started with: how it gets its key, and what it may do. */
struct child_start {
	const struct da_store_account *account; /* the account key's files, or */
	int create;
	enum da_key_type type; /* a certificate key of this type, for sink */
	struct da_sink *sink;
};

/* ------------------------------------------------------------- frames */

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* 1 when len bytes were read, 0 at end of file before the first, -1 else. */
static int read_all(int fd, void *data, size_t len)
{
	unsigned char *p = data;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 && got == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

static int send_frame(int fd, unsigned tag, const void *data, size_t len)
{
	unsigned char head[5];

	if (len > FRAME_MAX)
		return -1;
	head[0] = (unsigned char)(len >> 24);
	head[1] = (unsigned char)(len >> 16);
	head[2] = (unsigned char)(len >> 8);
	head[3] = (unsigned char)len;
	head[4] = (unsigned char)tag;
	return write_all(fd, head, sizeof(head)) == 0 && write_all(fd, data, len) == 0 ? 0 : -1;
}

/* A frame's payload in *data (NUL-terminated, free()): 1, or 0 at end of
 * file, -1 on a broken or oversized frame or no memory. */
static int recv_frame(int fd, unsigned *tag, unsigned char **data, size_t *len)
{
	unsigned char head[5];
	int got = read_all(fd, head, sizeof(head));

	*data = NULL;
	if (got <= 0)
		return got;
	*len = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
	*tag = head[4];
	if (*len > FRAME_MAX || (*data = malloc(*len + 1)) == NULL)
		return -1;
	if (read_all(fd, *data, *len) != 1) {
		free(*data);
		*data = NULL;
		return -1;
	}
	(*data)[*len] = '\0';
	return 1;
}

/* -------------------------------------------------------------- child */

static void answer_error(int fd, const struct da_err *err)
{
	send_frame(fd, err->code == DA_OK ? DA_ERR_INTERNAL : err->code, err->msg,
		   strlen(err->msg));
}

/* The account key: read it, or with create make and save a new one. */
static enum da_code account_key(const struct child_start *start, EVP_PKEY **key,
				struct da_err *err)
{
	char *pem = NULL;
	enum da_code rc;

	rc = da_store_account_key_read(start->account, &pem, err);
	if (rc == DA_OK && pem != NULL) {
		rc = da_crypto_key_from_pem(pem, key, err);
		da_secret_free(pem);
		return rc == DA_OK ? DA_OK
				   : da_err_wrap(err, "account key in %s",
						 da_store_account_where(start->account));
	}
	if (rc != DA_OK)
		return rc;
	if (!start->create)
		return da_err_set(err, DA_ERR_CONFIG, "no account key in %s: issue a certificate first",
				  da_store_account_where(start->account));
	rc = da_crypto_key_generate(DA_KEY_EC256, key, err);
	if (rc == DA_OK)
		rc = da_crypto_key_to_pem(*key, &pem, err);
	if (rc == DA_OK)
		rc = da_store_account_key_write(start->account, pem, err);
	da_secret_free(pem);
	return rc;
}

/*
 * The seccomp filter. The account key's child needs its socket and memory,
 * nothing else. A certificate key's child writes through its sink, so it
 * keeps the file system but cannot exec or look into another process; it
 * loses the network too, unless its sink is a server (a Kubernetes Secret):
 * then it may connect, and start threads (libcurl's resolver) but not
 * processes.
 */
enum confinement { SIGN_ONLY, FILES, FILES_AND_NETWORK };

static enum da_code confine(enum confinement how, struct da_err *err)
{
	static const int sign_only_allows[] = {
		SCMP_SYS(read),		 SCMP_SYS(write),	   SCMP_SYS(readv),
		SCMP_SYS(writev),	 SCMP_SYS(recvfrom),	   SCMP_SYS(sendto),
		SCMP_SYS(recvmsg),	 SCMP_SYS(sendmsg),	   SCMP_SYS(close),
		SCMP_SYS(exit),		 SCMP_SYS(exit_group),	   SCMP_SYS(brk),
		SCMP_SYS(mmap),		 SCMP_SYS(munmap),	   SCMP_SYS(mremap),
		SCMP_SYS(madvise),	 SCMP_SYS(mprotect),	   SCMP_SYS(futex),
		SCMP_SYS(getrandom),	 SCMP_SYS(rt_sigreturn),   SCMP_SYS(rt_sigprocmask),
		SCMP_SYS(clock_gettime), SCMP_SYS(gettid),	   SCMP_SYS(getpid),
		SCMP_SYS(sched_yield),	 SCMP_SYS(restart_syscall),
	};
	/* The network ones first: FILES_AND_NETWORK skips them. */
	static const int certificate_denies[] = {
		SCMP_SYS(socket),	   SCMP_SYS(socketpair),	SCMP_SYS(connect),
		SCMP_SYS(clone),	   SCMP_SYS(bind),		SCMP_SYS(listen),
		SCMP_SYS(accept),	   SCMP_SYS(accept4),		SCMP_SYS(execve),
		SCMP_SYS(execveat),	   SCMP_SYS(ptrace),		SCMP_SYS(process_vm_readv),
		SCMP_SYS(process_vm_writev), SCMP_SYS(fork),	SCMP_SYS(vfork),
		SCMP_SYS(clone3),
	};
	const size_t network_denies = 4;
	const int *list = how == SIGN_ONLY ? sign_only_allows : certificate_denies;
	size_t n = how == SIGN_ONLY ? sizeof(sign_only_allows) / sizeof(*sign_only_allows)
				    : sizeof(certificate_denies) / sizeof(*certificate_denies);
	size_t first = how == FILES_AND_NETWORK ? network_denies : 0;
	scmp_filter_ctx ctx = seccomp_init(how == SIGN_ONLY ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW);
	int rc = ctx == NULL ? -ENOMEM : 0;

	for (size_t i = first; rc == 0 && i < n; i++)
		rc = seccomp_rule_add(ctx, how == SIGN_ONLY ? SCMP_ACT_ALLOW : SCMP_ACT_KILL_PROCESS,
				      list[i], 0);
	/* Threads, not processes: clone3's flags are out of a filter's reach,
	 * and glibc falls back to clone when it is missing. */
	if (rc == 0 && how == FILES_AND_NETWORK)
		rc = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	if (rc == 0 && how == FILES_AND_NETWORK)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0)
		return da_err_set(err, DA_ERR_INTERNAL, "confining the key process: seccomp: %s",
				  strerror(-rc));
	return DA_OK;
}

/* The strings of a JSON array (borrowed from it) in *list (free()). */
static enum da_code names_of(const json_t *names, const char ***list, struct da_err *err)
{
	size_t n = json_array_size(names);

	*list = calloc(n ? n : 1, sizeof(**list));
	if (*list == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (((*list)[i] = json_string_value(json_array_get(names, i))) == NULL)
			return da_err_set(err, DA_ERR_INTERNAL, "key process: a name is no string");
	return DA_OK;
}

/* A certificate key's CSR for the names in payload (a JSON array). */
static enum da_code serve_csr(int fd, EVP_PKEY *key, const char *payload, struct da_err *err)
{
	json_t *names = json_loads(payload, 0, NULL);
	size_t n = json_array_size(names);
	const char **list = NULL;
	unsigned char *der = NULL;
	size_t der_len = 0;
	enum da_code rc = names_of(names, &list, err);

	if (rc == DA_OK)
		rc = da_crypto_csr_der(key, list, n, &der, &der_len, err);
	if (rc == DA_OK && send_frame(fd, DA_OK, der, der_len) != 0)
		rc = da_err_set(err, DA_ERR_INTERNAL, "key process: answering");
	free(der);
	free(list);
	json_decref(names);
	return rc;
}

/* Write the chain in payload ({fullchain, names, ca, key_type}) with key. */
static enum da_code serve_write(int fd, EVP_PKEY *key, struct da_sink *sink, const char *payload,
				struct da_err *err)
{
	json_t *req = json_loads(payload, 0, NULL), *names = json_object_get(req, "names");
	const char *fullchain = json_string_value(json_object_get(req, "fullchain"));
	const char *type_name = json_string_value(json_object_get(req, "key_type"));
	const char **list = NULL;
	struct da_cert_out cert = {.ca = json_string_value(json_object_get(req, "ca")),
				   .n_names = json_array_size(names)};
	struct da_chain *chain = NULL;
	char *key_pem = NULL;
	enum da_code rc = names_of(names, &list, err);

	cert.names = list;
	if (rc == DA_OK && (fullchain == NULL || cert.ca == NULL || type_name == NULL))
		rc = da_err_set(err, DA_ERR_INTERNAL, "key process: an incomplete write");
	if (rc == DA_OK)
		rc = da_crypto_key_type_parse(type_name, &cert.key_type, err);
	if (rc == DA_OK)
		rc = da_crypto_chain_parse(fullchain, &chain, err);
	if (rc == DA_OK)
		rc = da_crypto_key_to_pem(key, &key_pem, err);
	if (rc == DA_OK) {
		cert.fullchain_pem = fullchain;
		cert.chain = chain;
		cert.key_pem = key_pem;
		rc = da_store_sink_write(sink, &cert, err);
	}
	if (rc == DA_OK && send_frame(fd, DA_OK, "", 0) != 0)
		rc = da_err_set(err, DA_ERR_INTERNAL, "key process: answering");
	da_secret_free(key_pem);
	da_crypto_chain_free(chain);
	free(list);
	json_decref(req);
	return rc;
}

static enum da_code serve_sign(int fd, EVP_PKEY *key, const char *input, struct da_err *err)
{
	char *sig = NULL;
	enum da_code rc = da_crypto_jws_sign_input(key, input, &sig, err);

	if (rc == DA_OK && send_frame(fd, DA_OK, sig, strlen(sig)) != 0)
		rc = da_err_set(err, DA_ERR_INTERNAL, "key process: answering");
	free(sig);
	return rc;
}

/* Answer requests until the parent hangs up. */
static void serve(int fd, EVP_PKEY *key, const struct child_start *start)
{
	unsigned op;
	unsigned char *payload;
	size_t len;

	while (recv_frame(fd, &op, &payload, &len) == 1) {
		struct da_err err = {0};
		enum da_code rc;

		if (op == OP_SIGN && start->account != NULL)
			rc = serve_sign(fd, key, (const char *)payload, &err);
		else if (op == OP_CSR && start->sink != NULL)
			rc = serve_csr(fd, key, (const char *)payload, &err);
		else if (op == OP_WRITE && start->sink != NULL)
			rc = serve_write(fd, key, start->sink, (const char *)payload, &err);
		else
			rc = da_err_set(&err, DA_ERR_INTERNAL, "key process: no such request");
		free(payload);
		if (rc != DA_OK)
			answer_error(fd, &err);
	}
}

static void child(int fd, const struct child_start *start)
{
	struct da_err err = {0};
	EVP_PKEY *key = NULL;
	unsigned char *der = NULL;
	char *warm = NULL;
	int der_len;
	enum da_code rc;

	/* The parent stops the run; this process ends when it hangs up. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	prctl(PR_SET_DUMPABLE, 0);
	/* None of the parent's connections, files or plugin sockets. */
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	close_range(4, ~0u, 0);

	rc = start->account ? account_key(start, &key, &err)
			    : da_crypto_key_generate(start->type, &key, &err);
	/* OpenSSL seeds its random generator at first use: before the filter.
	 * (Making a certificate key has used it already.) */
	if (rc == DA_OK && start->account != NULL)
		rc = da_crypto_jws_sign_input(key, "", &warm, &err);
	free(warm);
	if (rc == DA_OK)
		rc = confine(start->account ? SIGN_ONLY
			     : start->sink && start->sink->networked ? FILES_AND_NETWORK : FILES,
			     &err);
	if (rc == DA_OK && (der_len = i2d_PUBKEY(key, &der)) <= 0)
		rc = da_err_set(&err, DA_ERR_CRYPTO, "encoding the public key");
	if (rc == DA_OK) {
		send_frame(fd, DA_OK, der, (size_t)der_len);
		OPENSSL_free(der);
		serve(fd, key, start);
	} else {
		answer_error(fd, &err);
	}
	/* Not exit(): no atexit handlers, no sanitizer's leak check at the end
	 * (it would trace this process, which the filter forbids). */
	_exit(0);
}

/* ------------------------------------------------------------- parent */

/* Send a request, wait for its answer: the payload in *out (free()). */
static enum da_code call(struct da_keyproc *kp, enum op op, const void *data, size_t len,
			 unsigned char **out, size_t *out_len, struct da_err *err)
{
	unsigned tag;
	unsigned char *payload;
	size_t n;

	*out = NULL;
	if (op != 0 && send_frame(kp->fd, op, data, len) != 0)
		return da_err_set(err, DA_ERR_INTERNAL, "the key process is gone");
	if (recv_frame(kp->fd, &tag, &payload, &n) != 1)
		return da_err_set(err, DA_ERR_INTERNAL, "the key process ended without an answer");
	if (tag != DA_OK) {
		enum da_code rc = tag <= DA_ERR_INTERNAL ? (enum da_code)tag : DA_ERR_INTERNAL;

		da_err_set(err, rc, "%.*s", (int)(n < DA_ERR_MSG_MAX ? n : DA_ERR_MSG_MAX - 1),
			   (const char *)payload);
		free(payload);
		return rc;
	}
	*out = payload;
	if (out_len != NULL)
		*out_len = n;
	return DA_OK;
}

static enum da_code start(const struct child_start *how, struct da_keyproc **out,
			  struct da_err *err)
{
	struct da_keyproc *kp = calloc(1, sizeof(*kp));
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t der_len = 0;
	int fds[2];
	enum da_code rc;

	*out = NULL;
	if (kp == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		free(kp);
		return da_err_set(err, DA_ERR_INTERNAL, "socketpair: %s", strerror(errno));
	}
	kp->pid = fork();
	if (kp->pid == 0) {
		close(fds[0]);
		child(fds[1], how);
	}
	close(fds[1]);
	kp->fd = fds[0];
	if (kp->pid < 0) {
		rc = da_err_set(err, DA_ERR_INTERNAL, "starting the key process: %s",
				strerror(errno));
		da_keyproc_free(kp);
		return rc;
	}
	rc = call(kp, 0, NULL, 0, &der, &der_len, err);
	p = der;
	if (rc == DA_OK && (kp->public_key = d2i_PUBKEY(NULL, &p, (long)der_len)) == NULL)
		rc = da_err_set(err, DA_ERR_CRYPTO, "the key process sent no public key");
	free(der);
	if (rc != DA_OK) {
		da_keyproc_free(kp);
		return rc;
	}
	*out = kp;
	return DA_OK;
}

enum da_code da_keyproc_account(const struct da_store_account *files, int create,
				struct da_keyproc **out, struct da_err *err)
{
	const struct child_start how = {.account = files, .create = create};

	return start(&how, out, err);
}

enum da_code da_keyproc_certificate(enum da_key_type type, struct da_sink *sink,
				    struct da_keyproc **out, struct da_err *err)
{
	const struct child_start how = {.type = type, .sink = sink};

	return start(&how, out, err);
}

EVP_PKEY *da_keyproc_public_key(const struct da_keyproc *kp)
{
	return kp->public_key;
}

static enum da_code sign_there(void *ctx, const char *input, char **sig_out, struct da_err *err)
{
	unsigned char *sig = NULL;
	enum da_code rc = call(ctx, OP_SIGN, input, strlen(input), &sig, NULL, err);

	if (rc == DA_OK)
		*sig_out = (char *)sig;
	return rc;
}

struct da_signer da_keyproc_signer(struct da_keyproc *kp)
{
	return (struct da_signer){.public_key = kp->public_key, .sign = sign_there, .ctx = kp};
}

/* names[0..n) as a JSON array in *out, or NULL out of memory. */
static json_t *names_json(const char *const *names, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; list != NULL && i < n; i++)
		if (json_array_append_new(list, json_string(names[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	return list;
}

/* Send req (taken) as op and wait for the answer. */
static enum da_code call_json(struct da_keyproc *kp, enum op op, json_t *req,
			      unsigned char **out, size_t *out_len, struct da_err *err)
{
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	enum da_code rc;

	json_decref(req);
	if (text == NULL)
		return da_err_set(err, DA_ERR_NOMEM, "out of memory");
	rc = call(kp, op, text, strlen(text), out, out_len, err);
	free(text);
	return rc;
}

enum da_code da_keyproc_csr(struct da_keyproc *kp, const char *const *names, size_t n,
			    unsigned char **der_out, size_t *der_len, struct da_err *err)
{
	return call_json(kp, OP_CSR, names_json(names, n), der_out, der_len, err);
}

enum da_code da_keyproc_write(struct da_keyproc *kp, const struct da_cert_out *cert,
			      struct da_err *err)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:o}", "fullchain", cert->fullchain_pem, "ca",
				cert->ca, "key_type", da_crypto_key_type_name(cert->key_type),
				"names", names_json(cert->names, cert->n_names));
	unsigned char *none;
	enum da_code rc = call_json(kp, OP_WRITE, req, &none, NULL, err);

	if (rc == DA_OK)
		free(none);
	return rc;
}

void da_keyproc_free(struct da_keyproc *kp)
{
	if (kp == NULL)
		return;
	if (kp->fd >= 0)
		close(kp->fd);
	if (kp->pid > 0)
		while (waitpid(kp->pid, NULL, 0) < 0 && errno == EINTR)
			;
	EVP_PKEY_free(kp->public_key);
	free(kp);
}
