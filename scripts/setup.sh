#!/usr/bin/env bash
# Installs the Debian (bookworm) packages that dnsacme's build and tests need.
# Quick when everything is already there: apt runs only for missing packages.
#   scripts/setup.sh          build + test suite (certbot, lego, dehydrated: the DNS hook tests;
#                             mmdebstrap, buildah, podman: the image)
#   scripts/setup.sh bench    also certbot's RFC 2136 plugin, for tests/bench/
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang libclang-rt-dev
	libssl-dev libcurl4-openssl-dev libc-ares-dev libjansson-dev libexpat1-dev libseccomp-dev libyaml-dev
	libevent-dev
	bind9 bind9-utils bind9-dnsutils pebble
	python3 python3-dnspython python3-botocore python3-cryptography python3-yaml
	openssl iproute2 curl hyperfine time systemd certbot lego dehydrated
	mmdebstrap buildah podman fuse-overlayfs
)
if [[ ${1:-} == bench ]]; then
	packages+=(python3-certbot-dns-rfc2136)
fi

missing=()
for package in "${packages[@]}"; do
	if [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) != installed ]]; then
		missing+=("$package")
	fi
done
if ((${#missing[@]} == 0)); then
	exit 0
fi

sudo=()
if ((EUID != 0)); then
	sudo=(sudo)
fi
echo "setup: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
	"${missing[@]}"
