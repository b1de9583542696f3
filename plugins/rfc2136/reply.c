/* What the reply to an UPDATE means: RCODE and TSIG error to a status and a
 * line telling the user what to check. */
#include "rfc2136_int.h"

#include <stdio.h>

static enum dnsacme_status tsig_error(const struct r2_request *req, const struct r2_msg *msg,
				      struct r2_err *err)
{
	const struct r2_tsig *t = &msg->tsig;
	const char *key = req->key ? req->key->name : t->key_name;

	switch (t->error) {
	case R2_BADSIG:
		return r2_fail(err, DNSACME_ERR_AUTH,
			       "wrong TSIG secret or algorithm for key %s "
			       "(server %s answered BADSIG)",
			       key, req->server);
	case R2_BADKEY:
		return r2_fail(err, DNSACME_ERR_AUTH,
			       "server does not know TSIG key %s (server %s answered BADKEY; Knot "
			       "also does when its ACL denies the update for zone %s)",
			       key, req->server, req->zone);
	case R2_BADTIME:
		if (t->other_len == 6) {
			/* Other data is the server's clock; time signed echoes ours. */
			const unsigned char *o = t->other;
			uint64_t server = (uint64_t)o[0] << 40 | (uint64_t)o[1] << 32 |
					  (uint64_t)o[2] << 24 | (uint64_t)o[3] << 16 |
					  (uint64_t)o[4] << 8 | o[5];
			int behind = server > t->time_signed;
			uint64_t diff = behind ? server - t->time_signed : t->time_signed - server;

			return r2_fail(err, DNSACME_ERR_AUTH,
				       "clock differs from the server's by %llu s (BADTIME: this "
				       "host is %s, TSIG allows %u s); synchronise the clocks",
				       (unsigned long long)diff, behind ? "behind" : "ahead",
				       t->fudge);
		}
		return r2_fail(err, DNSACME_ERR_AUTH,
			       "clock differs from the server's by more than %u s (BADTIME); "
			       "synchronise the clocks",
			       t->fudge);
	case R2_BADTRUNC:
		return r2_fail(err, DNSACME_ERR_AUTH,
			       "server %s rejected the TSIG MAC length of key %s (BADTRUNC)",
			       req->server, key);
	default:
		return r2_fail(err, DNSACME_ERR_AUTH,
			       "server %s rejected the TSIG of the update for zone %s "
			       "(TSIG error %u)",
			       req->server, req->zone, t->error);
	}
}

static enum dnsacme_status rcode_error(const struct r2_request *req, unsigned rcode,
				       struct r2_err *err)
{
	switch (rcode) {
	case R2_REFUSED:
		if (req->key != NULL)
			return r2_fail(err, DNSACME_ERR_DENIED,
				       "the server refused the update for zone %s: check "
				       "update-policy grants key %s TXT at _acme-challenge names",
				       req->zone, req->key->name);
		return r2_fail(err, DNSACME_ERR_DENIED,
			       "the server refused the unsigned update for zone %s: check that "
			       "allow-update admits this host, or configure a TSIG key",
			       req->zone);
	case R2_NOTAUTH:
		return r2_fail(err, DNSACME_ERR_DENIED,
			       "server %s is not authoritative for zone %s (NOTAUTH): check the "
			       "zone name, that the server is its primary%s",
			       req->server, req->zone,
			       req->key ? ", and that the key's view holds the zone" : "");
	case R2_NOTZONE:
		return r2_fail(err, DNSACME_ERR_API,
			       "a record name is not in zone %s (NOTZONE): check the zone option",
			       req->zone);
	case R2_SERVFAIL:
		return r2_fail(err, DNSACME_ERR_API,
			       "server %s failed to apply the update for zone %s (SERVFAIL): check "
			       "its log (can it write the zone's journal?)",
			       req->server, req->zone);
	case R2_FORMERR:
		return r2_fail(err, DNSACME_ERR_PROTOCOL,
			       "server %s could not parse the update for zone %s (FORMERR)",
			       req->server, req->zone);
	case R2_NOTIMP:
		return r2_fail(err, DNSACME_ERR_API,
			       "server %s does not implement dynamic updates (NOTIMP)",
			       req->server);
	default:
		return r2_fail(err, DNSACME_ERR_API,
			       "server %s answered RCODE %u to the update for zone %s",
			       req->server, rcode, req->zone);
	}
}

enum dnsacme_status r2_update_outcome(const struct r2_request *req, const unsigned char *reply,
				      size_t len, uint64_t now, struct r2_err *err)
{
	struct r2_msg msg;
	struct r2_err why;
	unsigned rcode;

	if (r2_msg_parse(&msg, reply, len, &why) != DNSACME_OK)
		return r2_fail(err, DNSACME_ERR_PROTOCOL, "server %s: %s", req->server, why.msg);
	/* An error is an error whether or not it verifies: believing a forged
	 * one costs a retry, believing a forged success loses a certificate. */
	if (msg.has_tsig && msg.tsig.error != 0)
		return tsig_error(req, &msg, err);
	rcode = R2_RCODE(msg.flags);
	if (rcode != R2_NOERROR)
		return rcode_error(req, rcode, err);
	if (req->key != NULL &&
	    r2_tsig_verify(&msg, req->key, req->mac, req->mac_len, now, &why) != DNSACME_OK)
		return r2_fail(err, DNSACME_ERR_PROTOCOL,
			       "not trusting the NOERROR reply of server %s for zone %s: %s",
			       req->server, req->zone, why.msg);
	return DNSACME_OK;
}
