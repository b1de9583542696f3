/*
 * Where an issued certificate goes, and where the one in use is read back
 * from to decide whether it is due: an output directory today
 * (da_store_sink_dir_open), a Kubernetes Secret next. Callers see only this
 * interface, so a new backend is a new implementation of struct
 * da_sink_ops, not a change to every caller.
 */
#ifndef DA_STORE_SINK_H
#define DA_STORE_SINK_H

#include <stddef.h>

#include "base/error.h"
#include "crypto/crypto.h"

/* One certificate to keep. Everything borrowed for the call. */
struct da_cert_out {
	const char *fullchain_pem;    /* leaf first, only CERTIFICATE blocks */
	const char *key_pem;	      /* its private key: secret */
	const struct da_chain *chain; /* fullchain_pem, parsed */
	const char *const *names;     /* as ordered, names[0] first */
	size_t n_names;
	const char *ca; /* the directory URL that issued it */
	enum da_key_type key_type;
};

/* The certificate a sink holds now: da_store_cert_free(). */
struct da_cert_stored {
	struct da_chain *chain; /* chain->certs[0] is the leaf */
	char *ca;		/* the CA recorded with it, or NULL */
	char *key_type;         /* its key type's name (da_crypto_key_type_name), or NULL */
};
void da_store_cert_free(struct da_cert_stored *stored);

/*
 * Is stored the certificate for exactly these names (its leaf's DNS names,
 * in any order and case), from ca, with a key of key_type? Anything not
 * recorded counts as different: the certificate is then issued anew.
 */
int da_store_cert_matches(const struct da_cert_stored *stored, const char *const *names, size_t n,
			  const char *ca, enum da_key_type key_type);

/* A backend. impl is what its open function made. */
struct da_sink_ops {
	/* *out NULL when nothing usable is there (never written, or not a
	 * certificate any more): an error is only what must stop the run. */
	enum da_code (*read)(void *impl, struct da_cert_stored **out, struct da_err *err);
	/* All or nothing: a reader sees the old certificate or the new one,
	 * never a key and a certificate that do not match. Errors name the
	 * place. */
	enum da_code (*write)(void *impl, const struct da_cert_out *cert, struct da_err *err);
	void (*free)(void *impl);
};

struct da_sink {
	const struct da_sink_ops *ops;
	void *impl;
	char *where; /* the place, for summaries: a directory's path (owned) */
	/* The backend talks to a server (the Kubernetes API): the certificate
	 * key's process, which writes, keeps its network (keyproc.h). */
	int networked;
};

enum da_code da_store_sink_read(struct da_sink *sink, struct da_cert_stored **out,
				struct da_err *err);
enum da_code da_store_sink_write(struct da_sink *sink, const struct da_cert_out *cert,
				 struct da_err *err);
/* Release the backend and the sink (may be NULL). */
void da_store_sink_free(struct da_sink *sink);

/*
 * The directory backend: cert.pem (the leaf), chain.pem (the rest),
 * fullchain.pem, privkey.pem (0600) and metadata.json (names, validity,
 * serial, CA, key type, issuer, ARI CertID), replaced as one set
 * (da_store_write_certificate). The directory is created now (0755), so a
 * path that cannot be one fails before the CA issues anything. *out:
 * da_store_sink_free().
 */
enum da_code da_store_sink_dir_open(const char *dir, struct da_sink **out, struct da_err *err);

#endif
