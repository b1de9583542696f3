"""The measuring half of webhook.sh (see there)."""

import argparse
import concurrent.futures
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
import test_webhook as hook  # noqa: E402

FLOOR_C = r"""
#include <curl/curl.h>
#include <unistd.h>
int main(void) { curl_global_init(CURL_GLOBAL_DEFAULT); CURL *c = curl_easy_init();
                 (void)c; pause(); return 0; }
"""


def rss_kib(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def libcurl_floor(work):
    src, exe = os.path.join(work, "floor.c"), os.path.join(work, "floor")
    with open(src, "w") as f:
        f.write(FLOOR_C)
    subprocess.run(["cc", "-O2", "-o", exe, src, "-lcurl"], check=True)
    proc = subprocess.Popen([exe])
    time.sleep(0.5)
    floor = rss_kib(proc.pid)
    proc.kill()
    proc.wait()
    return floor


class Bench(hook.WebhookTest):
    """The test's setup (PKI, fakes, server), used as a fixture."""

    def runTest(self):
        pass


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--presents", type=int, default=200)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="dnsacme-bench-webhook-")
    floor = libcurl_floor(work)
    Bench.setUpClass()
    try:
        bench = Bench()
        pid = Bench.server.proc.pid
        time.sleep(1)
        idle = rss_kib(pid)
        print("idle RSS: %.1f MiB; floor (a program that only initialises libcurl): %.1f MiB;"
              " above the floor: %.1f MiB" % (idle / 1024, floor / 1024, (idle - floor) / 1024))

        config = bench.rfc2136_config()
        latencies, shares = [], []
        for i in range(args.presents):
            name, key = "bench%d.example.test" % (i % 10), "k%042d" % i
            for action in ("Present", "CleanUp"):
                started = time.monotonic()
                bench.assert_success(bench.call("rfc2136", bench.request(action, name, key,
                                                                         config)))
                latencies.append((time.monotonic() - started) * 1000)
        log = Bench.server.output()[1]
        for total, provider in re.findall(r"\((\d+) ms, the provider (\d+) ms\)", log):
            shares.append(int(total) - int(provider))
        presents = latencies[0::2]
        print("Present through rfc2136 (%d): median %.1f ms, p99 %.1f ms (batch window 20 ms "
              "included); CleanUp: median %.1f ms, p99 %.1f ms"
              % (len(presents), statistics.median(presents), percentile(presents, 99),
                 statistics.median(latencies[1::2]), percentile(latencies[1::2], 99)))
        cleanup_shares = shares[1::2]
        print("the server's own share (its log: total less the provider call), CleanUp, "
              "which has no batch window: median %d ms, p99 %d ms; Present less its 20 ms "
              "window: p99 %d ms"
              % (statistics.median(cleanup_shares), percentile(cleanup_shares, 99),
                 percentile(shares[0::2], 99) - 20))

        peak = [0]
        done = threading.Event()

        def watch():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(pid))
                time.sleep(0.01)
        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=1000) as pool:
            results = list(pool.map(
                lambda _: Bench.get_status("/apis/%s/v1alpha1" % hook.GROUP, cert="proxy")[0],
                range(1000)))
        elapsed = time.monotonic() - started
        done.set()
        watcher.join()
        print("1000 concurrent discovery GETs with client certificates: %d answered 200 in "
              "%.2f s; RSS at most %.1f MiB meanwhile"
              % (results.count(200), elapsed, peak[0] / 1024))
    finally:
        Bench.tearDownClass()


if __name__ == "__main__":
    main()
