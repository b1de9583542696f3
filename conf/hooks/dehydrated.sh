#!/bin/sh
# dehydrated's HOOK, through dnsacme's plugins:
#   HOOK=/usr/share/dnsacme/hooks/dehydrated.sh HOOK_CHAIN=yes
# with DNSACME_DNS (rfc2136, route53, alidns) and the plugin's variables in
# dehydrated's environment. deploy_challenge publishes every DOMAIN
# TOKEN_FILENAME TOKEN_VALUE triple it is given in one batch and returns once
# each value is on every nameserver of its zone; clean_challenge removes
# exactly those values. Every other hook call is not about DNS: exit 0.
# DNSACME names the binary when it is not dnsacme on PATH.
handler=$1
shift
case $handler in
deploy_challenge) exec "${DNSACME:-dnsacme}" present "$@" ;;
clean_challenge) exec "${DNSACME:-dnsacme}" cleanup "$@" ;;
*) exit 0 ;;
esac
