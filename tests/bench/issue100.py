"""The measuring half of issue100.sh (see there). Each client and run gets a
fresh harness, so no run profits from another's account or authorizations.
Pebble rejects no nonces here: certbot retries a badNonce only once, and with
Pebble's default 5% rejection some 300 requests fail about every other run."""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "integration"))
import harness  # noqa: E402

NAMES = []  # set by main(): --names N


def order_names(n):
    """The apex and the wildcard, then hosts: n names (1: the apex alone)."""
    names = ["example.test", "*.example.test"][:n]
    return names + ["host%02d.example.test" % i for i in range(1, n - len(names) + 1)]
TIME_FIELDS = {
    "user": r"User time \(seconds\): ([\d.]+)",
    "sys": r"System time \(seconds\): ([\d.]+)",
    "rss_kib": r"Maximum resident set size \(kbytes\): (\d+)",
}


def dnsacme_command(env, work):
    argv = env.dnsacme_argv("issue", "--dns", "rfc2136", "--agree-tos", "--verbose",
                            "--ca-bundle", env.real_trust_bundle(),
                            "--out", os.path.join(work, "out"))
    for name in NAMES:
        argv += ["-d", name]
    return argv, env.dnsacme_env()


def certbot_command(env, work):
    credentials = os.path.join(work, "rfc2136.ini")
    fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("dns_rfc2136_server = %s\ndns_rfc2136_port = 53\n"
                "dns_rfc2136_name = %s.\ndns_rfc2136_secret = %s\n"
                "dns_rfc2136_algorithm = HMAC-SHA256\n"
                % (env.primary, harness.TSIG_KEY, env.tsig_secret))
    argv = ["certbot", "certonly", "--non-interactive", "--agree-tos",
            "--register-unsafely-without-email", "--server", env.directory_url,
            "--config-dir", os.path.join(work, "config"), "--work-dir", os.path.join(work, "work"),
            "--logs-dir", os.path.join(work, "logs"), "--authenticator", "dns-rfc2136",
            "--dns-rfc2136-credentials", credentials, "--dns-rfc2136-propagation-seconds", "0",
            "--key-type", "ecdsa"]
    for name in NAMES:
        argv += ["-d", name]
    return argv, dict(os.environ, REQUESTS_CA_BUNDLE=env.real_trust_bundle())


def lego_command(env, work):
    """lego's own rfc2136 provider, one value at a time without the pause
    between them (RFC2136_SEQUENCE_INTERVAL=0); its propagation check off
    (the harness's nameserver names do not resolve), as fast as lego goes."""
    argv = ["lego", "--server", env.directory_url, "--email", "bench@example.test",
            "--accept-tos", "--path", os.path.join(work, "lego"), "--dns", "rfc2136",
            "--dns.resolvers", env.resolver, "--dns.disable-cp", "--key-type", "ec256"]
    for name in NAMES:
        argv += ["-d", name]
    child_env = dict(os.environ, LEGO_CA_CERTIFICATES=env.real_trust_bundle(),
                     RFC2136_NAMESERVER=env.primary, RFC2136_TSIG_KEY=harness.TSIG_KEY,
                     RFC2136_TSIG_SECRET=env.tsig_secret,
                     RFC2136_TSIG_ALGORITHM=harness.TSIG_ALGORITHM + ".",
                     RFC2136_SEQUENCE_INTERVAL="0", RFC2136_PROPAGATION_TIMEOUT="60",
                     RFC2136_POLLING_INTERVAL="1")
    return argv + ["run"], child_env


class SecondaryWatch(threading.Thread):
    """Polls the secondary every 10 ms for the last host's record, so the run
    knows when both servers had every record (one UPDATE carries them all, so
    the secondary gets them in one transfer)."""

    def __init__(self, env):
        super().__init__(daemon=True)
        self.env, self.seen, self.done = env, None, threading.Event()

    def run(self):
        name = "_acme-challenge." + NAMES[-1]
        while not self.done.is_set() and self.seen is None:
            if self.env.txt(name, self.env.secondary):
                self.seen = time.monotonic()
            time.sleep(0.01)


# The timeline of a dnsacme run, from its --verbose log: each line is stamped
# as it arrives (dnsacme flushes every line), and a phase ends at the line
# that says it is over. Pebble's URL paths name the requests.
PHASES = [
    ("start: plugin, keys, account key process", lambda l: "/dir -> " in l),
    ("nonce, account, newOrder", lambda l: "/order-plz -> 201" in l),
    ("authorizations fetched", lambda l: "dns: CNAME " in l),
    ("CNAMEs, zones, nameservers", lambda l: "info: publishing " in l),
    ("records published (the UPDATE answered)", lambda l: "TXT value(s)" in l and "added" in l),
    ("until the first record is on every nameserver", lambda l: "challenge answered (1/" in l),
    ("challenges answered, each as its record is seen", None),  # the last "answered"
    ("order polled until ready", lambda l: "info: removing " in l),
    ("records removed", lambda l: "TXT value(s)" in l and "deleted" in l),
    ("finalize, order polled, certificate", lambda l: "/certZ/" in l),
    ("outputs written, exit", None),  # the process's end
]


def timeline(lines, start, end):
    """[(phase, from_s, to_s)] for the PHASES the log shows, from start."""
    stamps, at = [], 0
    answered = [t for t, line in lines if "challenge answered (" in line]
    for label, ends in PHASES:
        if ends is None:
            t = answered[-1] if label.startswith("challenges") and answered else end
        else:
            t = next((t for t, line in lines[at:] if ends(line)), None)
            if t is None:
                continue
            at = next(i for i, (u, _) in enumerate(lines) if u >= t)
        stamps.append((label, t - start))
    return [(label, stamps[i - 1][1] if i else 0.0, t) for i, (label, t) in enumerate(stamps)]


def stderr_lines(stream, lines, closed):
    """Each line of stream with the time it came; closed[0]: when it ended,
    i.e. when the client exited (Popen.wait(timeout) would poll for that,
    sleeping up to 50 ms)."""
    for line in stream:
        lines.append((time.monotonic(), line))
    closed.append(time.monotonic())


def measure(command, nonce_reject=0):
    """One run of a client on a fresh harness: a dict of what was measured."""
    with harness.Env(nonce_reject=nonce_reject) as env:
        work = tempfile.mkdtemp(prefix="bench-", dir=env.tmp)
        argv, child_env = command(env, work)
        usage = os.path.join(work, "time.txt")
        before = env.incoming_updates()
        watch, lines = SecondaryWatch(env), []
        watch.start()
        start = time.monotonic()
        proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", usage] + argv, env=child_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        closed = []
        reader = threading.Thread(target=stderr_lines, args=(proc.stderr, lines, closed))
        reader.start()
        reader.join(timeout=1800)
        proc.wait(timeout=10)
        end = closed[0]
        wall = end - start
        watch.done.set()
        watch.join()
        if proc.returncode != 0:
            text = "".join(line for _, line in lines).replace(env.tsig_secret, "***")
            raise SystemExit("issue100: %s failed (%d):\n%s" % (argv[0], proc.returncode,
                                                                 text[-3000:]))
        with open(usage) as f:
            text = f.read()
        result = {key: float(re.search(pattern, text).group(1))
                  for key, pattern in TIME_FIELDS.items()}
        result["wall"] = wall
        result["updates"] = env.incoming_updates() - before
        result["left_behind"] = len(env.challenge_txt_records())
        result["bad_nonces"] = sum("badNonce, retrying" in line for _, line in lines)
        # dnsacme logs each challenge as it answers it, right after its record
        # was confirmed on every server: all 100 become visible in one
        # transfer, so the first line is when the check saw them, and the last
        # comes after 100 challenge POSTs in a row.
        answered = [t for t, line in lines if "challenge answered (" in line]
        nan = float("nan")
        result["first_answer_lag"] = answered[0] - watch.seen if answered and watch.seen else nan
        result["last_answer_lag"] = answered[-1] - watch.seen if answered and watch.seen else nan
        result["timeline"] = timeline(lines, start, end)
        return result


def libcurl_floor():
    """Peak RSS (KiB) of a program that only initialises libcurl: the part of
    dnsacme's RSS that Debian's libcurl and its 30-odd libraries cost."""
    src = "#include <curl/curl.h>\nint main(void) { curl_global_init(CURL_GLOBAL_DEFAULT);" \
          " curl_easy_cleanup(curl_easy_init()); curl_global_cleanup(); return 0; }\n"
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "floor.c"), "w") as f:
            f.write(src)
        exe = os.path.join(tmp, "floor")
        subprocess.run(["cc", "-o", exe, os.path.join(tmp, "floor.c"), "-lcurl"], check=True)
        out = subprocess.run(["/usr/bin/time", "-v", exe], capture_output=True, text=True)
        return int(re.search(TIME_FIELDS["rss_kib"], out.stderr).group(1))


def nonce_runs(runs, percent):
    """dnsacme alone, Pebble rejecting percent% of nonces: each run must issue."""
    counts = [measure(dnsacme_command, percent)["bad_nonces"] for _ in range(runs)]
    print("%d names, Pebble rejecting %d%% of nonces: %d of %d runs issued; badNonce retries "
          "per run: %s" % (len(NAMES), percent, len(counts), runs,
                           " ".join(str(c) for c in counts)))
    return 0


def median_run(command, runs):
    """The medians of runs, and the timeline of the run whose wall time is the median."""
    results = [measure(command) for _ in range(runs)]
    median = {key: statistics.median(r[key] for r in results)
              for key in results[0] if key != "timeline"}
    median["timeline"] = sorted(results, key=lambda r: r["wall"])[len(results) // 2]["timeline"]
    return median


def main():
    parser = argparse.ArgumentParser(description="one order: dnsacme vs certbot or lego")
    parser.add_argument("--runs", type=int, default=1, help="runs per client (median)")
    parser.add_argument("--names", type=int, default=100, help="names in the order")
    parser.add_argument("--against", choices=("certbot", "lego"), default="certbot")
    parser.add_argument("--nonce-reject", type=int, metavar="PERCENT",
                        help="dnsacme alone, with Pebble rejecting this share of nonces")
    args = parser.parse_args()
    NAMES[:] = order_names(args.names)
    if args.nonce_reject is not None:
        return nonce_runs(args.runs, args.nonce_reject)

    clients = []
    if os.environ.get("DNSACME_BIN"):
        clients.append(("dnsacme", dnsacme_command))
    clients.append((args.against, lego_command if args.against == "lego" else certbot_command))
    rows = {name: median_run(command, args.runs) for name, command in clients}

    print("%d names in one order, %d run(s) each, median; RFC 2136 to BIND, Pebble CA\n"
          % (len(NAMES), args.runs))
    print("%-8s %9s %8s %8s %8s %12s %8s %11s" % ("client", "wall s", "user s", "sys s",
                                                   "CPU s", "peak RSS MiB", "UPDATEs",
                                                   "TXT left"))
    for name, r in rows.items():
        print("%-8s %9.2f %8.2f %8.2f %8.2f %12.1f %8d %11d" % (
            name, r["wall"], r["user"], r["sys"], r["user"] + r["sys"], r["rss_kib"] / 1024,
            r["updates"], r["left_behind"]))
    if "dnsacme" in rows:
        d, c = rows["dnsacme"], rows[args.against]

        def ratio(a, b):
            return "%.1fx" % (a / b) if b else "n/a"
        print("\n%s / dnsacme: wall %s, CPU %s, peak RSS %s, UPDATE messages %s" % (
            args.against,
            ratio(c["wall"], d["wall"]), ratio(c["user"] + c["sys"], d["user"] + d["sys"]),
            ratio(c["rss_kib"], d["rss_kib"]), ratio(c["updates"], d["updates"])))
        print("dnsacme / %s wall time: %.3f" % (args.against, d["wall"] / c["wall"]))
        print("after the secondary had every record: first challenge answered %+.0f ms, all %d"
              " answered %+.0f ms (poll interval 20 ms, growing x1.5 to 5 s)"
              % (d["first_answer_lag"] * 1000, len(NAMES), d["last_answer_lag"] * 1000))
        print("\ndnsacme's timeline (the median run; from its log, each line stamped as it came):")
        print("%8s %8s %7s  %s" % ("from s", "to s", "ms", "phase"))
        for label, begin, end in d["timeline"]:
            print("%8.3f %8.3f %7.1f  %s" % (begin, end, (end - begin) * 1000, label))
        floor = libcurl_floor()
        print("peak RSS of a program that only initialises libcurl: %.1f MiB; dnsacme adds"
              " %.1f MiB to it" % (floor / 1024, (d["rss_kib"] - floor) / 1024))
    else:
        print("\n(dnsacme not built: no comparison)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
