/*
 * Private keys in processes of their own, as OpenBSD's acme-client keeps
 * them: the process that talks to the CA and the DNS providers, parses their
 * answers and runs plugins never holds the account key or a certificate's
 * key, so nothing it is tricked into doing can read them out.
 *
 * Each key lives in a child forked for it, spoken to over a socketpair. The
 * account key's child reads (or makes and saves) the key, then only signs
 * JWS inputs; a certificate key's child makes the key, then only builds its
 * CSR and writes it with the issued chain to the output. Both children
 * ignore SIGINT and SIGTERM (the parent stops the run and closes the
 * socket), are not dumpable, and are confined by a seccomp filter once the
 * key is in hand: the account key's child may then only read and write its
 * socket and manage memory; a certificate key's child may not open sockets,
 * execute programs or look into other processes. A child ends when the
 * parent closes its end, or dies.
 *
 * Start them while the process has one thread: fork() copies only the
 * calling thread, and a lock another thread held (the allocator's, say)
 * would stay locked in the child for ever. dnsacme has no threads of its
 * own; libcurl's resolver threads end with each lookup.
 */
#ifndef DA_KEYPROC_KEYPROC_H
#define DA_KEYPROC_KEYPROC_H

#include <stddef.h>

#include <openssl/evp.h>

#include "base/error.h"
#include "crypto/crypto.h"
#include "store/sink.h"
#include "store/store.h"

struct da_keyproc;

/*
 * The account key of files (borrowed, locked by the caller) in a new child:
 * read from account.key, or, with create and none saved, made (ECDSA P-256)
 * and saved 0600 by the child. A missing key without create is DA_ERR_CONFIG.
 * *out: da_keyproc_free().
 */
enum da_code da_keyproc_account(const struct da_store_account *files, int create,
				struct da_keyproc **out, struct da_err *err);

/*
 * A new certificate key of type in a new child, which alone will write it:
 * to sink (borrowed; the child works on its own copy, so open it first).
 * *out: da_keyproc_free().
 */
enum da_code da_keyproc_certificate(enum da_key_type type, struct da_sink *sink,
				    struct da_keyproc **out, struct da_err *err);

/* The key's public half (owned by kp). */
EVP_PKEY *da_keyproc_public_key(const struct da_keyproc *kp);

/* A JWS signer whose signatures the child makes (kp borrowed). */
struct da_signer da_keyproc_signer(struct da_keyproc *kp);

/* A certificate key's CSR for names[0..n) (da_crypto_csr_der()): DER in
 * *der_out (free()). */
enum da_code da_keyproc_csr(struct da_keyproc *kp, const char *const *names, size_t n,
			    unsigned char **der_out, size_t *der_len, struct da_err *err);

/*
 * Have a certificate key's child write cert with its key to the sink given
 * to da_keyproc_certificate() (da_store_sink_write()). cert->key_pem and
 * cert->chain are ignored: the child adds its key and parses the chain.
 */
enum da_code da_keyproc_write(struct da_keyproc *kp, const struct da_cert_out *cert,
			      struct da_err *err);

/* End the child and wait for it; NULL is fine. */
void da_keyproc_free(struct da_keyproc *kp);

#endif
