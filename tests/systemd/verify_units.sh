#!/usr/bin/env bash
# The systemd units as `cmake --install` writes them, with ExecStart= pointed
# at the built binary: systemd-analyze verify must pass without a word (it
# only warns about unknown keys), and the timer and the hardening must say
# what the README promises.
#   verify_units.sh DNSACME_BINARY SOURCE_DIR
set -euo pipefail
binary=$1 source=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|@DNSACME_BINARY@|$binary|" "$source/conf/systemd/dnsacme-renew.service.in" \
	>"$dir/dnsacme-renew.service"
cp "$source/conf/systemd/dnsacme-renew.timer" "$dir/"
status=0
if ! out=$(systemd-analyze verify "$dir/dnsacme-renew.service" "$dir/dnsacme-renew.timer" 2>&1) ||
	[[ -n $out ]]; then
	echo "systemd-analyze verify:" >&2
	echo "$out" >&2
	status=1
fi
want() { # FILE LINE...
	local file=$1 line
	shift
	for line in "$@"; do
		grep -qxF "$line" "$dir/$file" || { echo "$file lacks: $line" >&2; status=1; }
	done
}
want dnsacme-renew.timer "OnCalendar=*-*-* 00/6:00:00" "RandomizedDelaySec=1h" \
	"Persistent=true" "WantedBy=timers.target"
want dnsacme-renew.service "Type=oneshot" "ExecStart=$binary renew" "ProtectSystem=strict" \
	"ProtectHome=yes" "PrivateTmp=yes" "NoNewPrivileges=yes" "CapabilityBoundingSet=" \
	"ReadWritePaths=/var/lib/dnsacme"
exit "$status"
