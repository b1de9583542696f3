#!/usr/bin/env sh
# acme.sh's DNS API through dnsacme's plugins: copy this file to
# ~/.acme.sh/dnsapi/ and issue with
#   DNSACME_DNS=rfc2136 RFC2136_NAMESERVER=... \
#     acme.sh --issue --dns dns_dnsacme --dnssleep 1 -d example.com -d '*.example.com'
# DNSACME_DNS names the plugin, whose variables configure it (dnsacme plugins
# NAME lists them); DNSACME names the binary when it is not dnsacme on PATH.
# dnsacme present returns only once the value is on every nameserver of the
# zone, so acme.sh need not sleep (--dnssleep 1 also skips its public DoH
# check, which cannot see a private zone).

# dns_dnsacme_add FULLDOMAIN TXTVALUE
dns_dnsacme_add() {
	_info "dnsacme: publishing $1 through plugin ${DNSACME_DNS:-?}"
	if ! "${DNSACME:-dnsacme}" present "$1" "$2"; then
		_err "dnsacme present $1 failed"
		return 1
	fi
	return 0
}

# dns_dnsacme_rm FULLDOMAIN TXTVALUE
dns_dnsacme_rm() {
	_info "dnsacme: removing $1 through plugin ${DNSACME_DNS:-?}"
	if ! "${DNSACME:-dnsacme}" cleanup "$1" "$2"; then
		_err "dnsacme cleanup $1 failed"
		return 1
	fi
	return 0
}
