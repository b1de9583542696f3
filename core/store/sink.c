/* The sink interface: dispatch to the backend, and the "same certificate?" check. */
#include "store/sink.h"

#include <stdlib.h>
#include <string.h>

void da_store_cert_free(struct da_cert_stored *stored)
{
	if (stored == NULL)
		return;
	da_crypto_chain_free(stored->chain);
	free(stored->ca);
	free(stored->key_type);
	free(stored);
}

int da_store_cert_matches(const struct da_cert_stored *stored, const char *const *names, size_t n,
			  const char *ca, enum da_key_type key_type)
{
	return stored->ca != NULL && strcmp(stored->ca, ca) == 0 && stored->key_type != NULL &&
	       strcmp(stored->key_type, da_crypto_key_type_name(key_type)) == 0 &&
	       da_crypto_cert_names_are(&stored->chain->certs[0], names, n);
}

enum da_code da_store_sink_read(struct da_sink *sink, struct da_cert_stored **out,
				struct da_err *err)
{
	*out = NULL;
	return sink->ops->read(sink->impl, out, err);
}

enum da_code da_store_sink_write(struct da_sink *sink, const struct da_cert_out *cert,
				 struct da_err *err)
{
	return sink->ops->write(sink->impl, cert, err);
}

void da_store_sink_free(struct da_sink *sink)
{
	if (sink == NULL)
		return;
	if (sink->ops != NULL)
		sink->ops->free(sink->impl);
	free(sink->where);
	free(sink);
}
