"""The measuring half of renew50.sh (see there).

1. 50 certificates of 2 names each, in example.test, issued once by each
   client (not measured), then all renewed: one `dnsacme renew` against a
   shell loop of `lego renew` over the same 50 (RFC2136_SEQUENCE_INTERVAL=0,
   --no-random-sleep). Wall, CPU and peak RSS of each.
2. `dnsacme renew` over 1,000 recorded certificates of which none is due,
   through a counting proxy in front of Pebble: wall time of the first run
   (which learns each certificate's state) and of the next (what a timer does
   every 6 hours), and the requests that reached the CA.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "integration"))
import harness  # noqa: E402

N = 50
RECORDS = 1000
FAR = "100000"
TIME_FIELDS = {
    "user": r"User time \(seconds\): ([\d.]+)",
    "sys": r"System time \(seconds\): ([\d.]+)",
    "rss_kib": r"Maximum resident set size \(kbytes\): (\d+)",
}


def names(i):
    return ["a%02d.example.test" % i, "b%02d.example.test" % i]


def timed(argv, env, work, label):
    """Run argv under /usr/bin/time -v: {"wall", "user", "sys", "rss_kib"}."""
    usage = os.path.join(work, label + ".time")
    start = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-v", "-o", usage] + argv, env=env,
                          capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("renew50: %s failed (%d):\n%s" % (label, proc.returncode,
                                                            (proc.stdout + proc.stderr)[-3000:]))
    with open(usage) as f:
        text = f.read()
    result = {key: float(re.search(pattern, text).group(1))
              for key, pattern in TIME_FIELDS.items()}
    result["wall"] = wall
    return result


def dnsacme_renew(env, work):
    config = os.path.join(work, "renew.json")
    with open(config, "w") as f:
        json.dump({"dns": "rfc2136", "agree_tos": True,
                   "certificates": [{"domains": names(i),
                                     "out": os.path.join(work, "out", "c%02d" % i)}
                                    for i in range(N)]}, f)
    first = env.dnsacme("renew", "--config", config, timeout=1800)
    if first.returncode != 0:
        raise SystemExit("renew50: dnsacme's first issuance failed:\n" + first.stdout[-2000:])
    return timed(env.dnsacme_argv("renew", "--config", config, "--renew-before", FAR,
                                  "--ca-bundle", env.real_trust_bundle()),
                 env.dnsacme_env(), work, "dnsacme")


def lego_renew(env, work):
    lego_env = dict(os.environ, LEGO_CA_CERTIFICATES=env.real_trust_bundle(),
                    RFC2136_NAMESERVER=env.primary, RFC2136_TSIG_KEY=harness.TSIG_KEY + ".",
                    RFC2136_TSIG_SECRET=env.tsig_secret,
                    RFC2136_TSIG_ALGORITHM="hmac-sha256.", RFC2136_SEQUENCE_INTERVAL="0",
                    RFC2136_PROPAGATION_TIMEOUT="120", RFC2136_POLLING_INTERVAL="1")
    common = ["lego", "--accept-tos", "--email", "bench@example.test", "--server",
              env.directory_url, "--dns", "rfc2136", "--dns.resolvers", env.resolver + ":53",
              "--path", os.path.join(work, "lego"), "--key-type", "ec256"]

    def domains(i):
        return [arg for name in names(i) for arg in ("--domains", name)]

    # lego looks the zone's nameservers up with the system's resolver: in a
    # mount namespace of its own, that is the harness's.
    resolv = os.path.join(work, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver %s\n" % env.resolver)

    def script(name, command):
        path = os.path.join(work, name)
        with open(path, "w") as f:
            f.write("mount --bind %s /etc/resolv.conf || exit 1\n" % resolv)
            for i in range(N):
                f.write(" ".join(common + domains(i) + command) + " >/dev/null 2>&1 || exit 1\n")
        return ["unshare", "--mount", "/bin/sh", path]
    setup = subprocess.run(script("lego-run.sh", ["run"]), env=lego_env, timeout=3600)
    if setup.returncode != 0:
        raise SystemExit("renew50: lego run failed")
    return timed(script("lego-renew.sh", ["renew", "--days", FAR, "--no-random-sleep"]),
                 lego_env, work, "lego")


def no_renewal_due(env, work):
    """1,000 records of one real certificate, each with its own out dir, all
    pointing at a counting proxy: nothing is due."""
    proxy = env.ca_proxy()
    state = os.path.join(work, "state")
    try:
        out = os.path.join(work, "one")
        issued = env.dnsacme("issue", "--dns", "rfc2136", "--agree-tos", "-d",
                             "one.example.test", "--out", out, "--server", proxy.directory_url,
                             "--state-dir", state)
        if issued.returncode != 0:
            raise SystemExit("renew50: issue failed:\n" + issued.stderr)
        with open(os.path.join(state, "renewal", "one.example.test.json")) as f:
            record = json.load(f)
        for i in range(RECORDS):
            copy = os.path.join(work, "certs", "c%04d" % i)
            shutil.copytree(out, copy, symlinks=True)
            record["out"] = copy
            with open(os.path.join(state, "renewal", "c%04d.example.test.json" % i), "w") as f:
                json.dump(record, f)
        os.remove(os.path.join(state, "renewal", "one.example.test.json"))
        proxy.clear()
        argv = env.dnsacme_argv("renew", "--state-dir", state, "--server", proxy.directory_url)
        first = timed(argv, env.dnsacme_env(), work, "records-first")
        first_requests = len(proxy.requests())
        proxy.clear()
        steady = timed(argv, env.dnsacme_env(), work, "records-steady")
        return first, first_requests, steady, proxy.requests()
    finally:
        proxy.stop()


def main():
    parser = argparse.ArgumentParser(description="renew: 50 certificates vs lego, 1,000 not due")
    parser.add_argument("--without-lego", action="store_true",
                        help="measure dnsacme only (lego's half takes some 15 minutes)")
    args = parser.parse_args()
    with harness.Env(nonce_reject=0) as env:
        work = tempfile.mkdtemp(prefix="bench-", dir=env.tmp)
        d = dnsacme_renew(env, work)
        lego = lego_renew(env, work) if shutil.which("lego") and not args.without_lego else None
        first, first_requests, steady, steady_requests = no_renewal_due(env, work)

    print("renew %d certificates of 2 names each (one zone), RFC 2136 to BIND, Pebble CA\n" % N)
    print("%-22s %8s %8s %8s %8s %12s" % ("client", "wall s", "user s", "sys s", "CPU s",
                                          "peak RSS MiB"))
    rows = [("dnsacme renew", d)] + ([("lego renew x%d (loop)" % N, lego)] if lego else [])
    for label, r in rows:
        print("%-22s %8.2f %8.2f %8.2f %8.2f %12.1f" % (label, r["wall"], r["user"], r["sys"],
                                                       r["user"] + r["sys"],
                                                       r["rss_kib"] / 1024))
    if lego:
        print("\ndnsacme / lego: wall %.3f, CPU %.3f, peak RSS %.2f"
              % (d["wall"] / lego["wall"], (d["user"] + d["sys"]) / (lego["user"] + lego["sys"]),
                 d["rss_kib"] / lego["rss_kib"]))
    print("\nrenew over %d recorded certificates, none due:" % RECORDS)
    print("  first run (learns each one's state): %.2f s wall, %.1f MiB peak RSS, "
          "%d requests to the CA" % (first["wall"], first["rss_kib"] / 1024, first_requests))
    print("  next run (a timer's):                %.2f s wall, %.1f MiB peak RSS, "
          "%d requests to the CA%s" % (steady["wall"], steady["rss_kib"] / 1024,
                                       len(steady_requests),
                                       "".join(", %s %s" % r for r in steady_requests)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
