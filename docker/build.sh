#!/usr/bin/env bash
# Builds the dnsacme image without a registry: a bookworm build base made with
# mmdebstrap and imported into podman's store, then docker/Dockerfile with
# buildah; then runs `dnsacme --version` and `dnsacme plugins` in the image and
# prints its size.
#   docker/build.sh [TAG]        (default localhost/dnsacme:VERSION)
# Needs root, mmdebstrap, podman and buildah (scripts/setup.sh image), and
# Debian's mirror.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
version=$(sed -n 's/^project(dnsacme VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
tag=${1:-localhost/dnsacme:$version}
packages=build-essential,cmake,pkg-config,libssl-dev,libcurl4-openssl-dev,libc-ares-dev,\
libjansson-dev,libexpat1-dev,libseccomp-dev,libyaml-dev,libevent-dev,ca-certificates
# Named by its package list: a list that changes makes a new base.
base=localhost/dnsacme-build-base:bookworm-$(echo "$packages" | sha256sum | cut -c1-12)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The build base: the packages scripts/setup.sh lists for building, nothing else.
if ! podman image exists "$base"; then
	mmdebstrap --variant=minbase --include="$packages" bookworm "$work/base.tar"
	podman import "$work/base.tar" "$base"
fi

buildah bud --isolation chroot --layers=false -f "$root/docker/Dockerfile" \
	--build-arg BASE="$base" -t "$tag" "$root"

container=$(buildah from "$tag")
trap 'buildah rm "$container" >/dev/null; rm -rf "$work"' EXIT
buildah run --isolation chroot --user 65532:65532 "$container" -- /usr/bin/dnsacme --version
buildah run --isolation chroot --user 65532:65532 "$container" -- /usr/bin/dnsacme plugins
size=$(podman image inspect --format '{{.Size}}' "$tag")
echo "image $tag: $((size / 1024 / 1024)) MiB ($size bytes) uncompressed"
