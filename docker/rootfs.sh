#!/bin/sh
# Completes the runtime tree ROOT that `cmake --install` filled: the shared
# libraries its programs and plugins load (as ldd resolves them), the CA
# store, a passwd entry for UID 65532 and a /tmp. Symbols stripped.
set -eu
root=$1

elves=$(find "$root/usr/bin" "$root/usr/lib" -type f \( -name dnsacme -o -name '*.so' \))
strip --strip-unneeded $elves
for lib in $(ldd $elves | awk '/=>/ { print $3 } /^\t\/.*ld-linux/ { print $1 }' | sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# glibc loads libgcc_s itself (thread cancellation, backtraces).
for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
	[ -e "$lib" ] && mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" && break
done
mkdir -p "$root/etc/ssl/certs" "$root/tmp"
chmod 1777 "$root/tmp"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > "$root/etc/passwd"
echo 'nonroot:x:65532:' > "$root/etc/group"
find "$root/usr/share" -mindepth 1 -maxdepth 1 ! -name dnsacme -exec rm -rf {} +
