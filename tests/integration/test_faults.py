"""Faults between dnsacme and the CA (hardening issue, section 3): a proxy in
front of Pebble (tests/fakes/caproxy.py) answers in Pebble's place with 5xx
bursts, 429 with Retry-After in seconds and as an HTTP date, a connection
reset half-way through a body, an answer stalled past the client's timeout,
and a body past the size cap. Each run ends in a certificate or in one clear
error, in its time, with no TXT record left and nothing half-written."""

import email.utils
import json
import os
import sys
import time
import unittest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from caproxy import Reset, Stall  # noqa: E402

NEW_ORDER, AUTHZ, FINALIZE, CERT = "/order-plz", "/authZ/", "/finalize-order/", "/certZ/"
PROBLEM = [("Content-Type", "application/problem+json")]


def problem(kind, detail):
    return json.dumps({"type": "urn:ietf:params:acme:error:" + kind, "detail": detail})


class FaultTest(harness.ProxiedTestCase):
    # The tests count requests: no badNonce retries among them.
    ENV_OPTIONS = {"nonce_reject": 0}

    def issue(self, name):
        """issue name through the proxy: (CompletedProcess, out dir, seconds)."""
        out = self.out_dir()
        start = time.monotonic()
        result = self.env.dnsacme("issue", "-q", "--dns", "rfc2136", "--agree-tos", "-d", name,
                                  "--out", out, "--server", self.proxy.directory_url)
        self.assertNotIn(self.env.tsig_secret, result.stdout + result.stderr)
        return result, out, time.monotonic() - start

    def assert_issued(self, result, out, name):
        self.assertEqual(result.returncode, 0, result.stderr)
        harness.verify_certificate(out, [name], "ec256", self.env.pebble_root,
                                   self.proxy.directory_url)

    def assert_failed(self, result, out, words):
        self.assertIn(words, self.assert_one_line_error(result))
        self.assertEqual(os.listdir(out), [], "something was written to --out")

    def count(self, prefix):
        return sum(1 for _, path in self.proxy.requests() if path.startswith(prefix))

    def test_5xx_bursts(self):
        busy = [(503, PROBLEM + [("Retry-After", "1")], problem("serverInternal", "busy"))]
        broken = [(500, PROBLEM, problem("serverInternal", "oops"))]
        self.proxy.fail(NEW_ORDER, busy * 2)
        self.proxy.fail(FINALIZE, broken * 2)
        result, out, seconds = self.issue("burst.example.test")
        self.assert_issued(result, out, "burst.example.test")
        self.assertEqual(self.count(NEW_ORDER), 3)
        self.assertEqual(self.count(FINALIZE), 3)
        self.assertGreaterEqual(seconds, 2)  # each 503's Retry-After: 1 was waited

    def test_5xx_that_does_not_end(self):
        self.proxy.fail(NEW_ORDER, [(503, PROBLEM, problem("serverInternal", "down"))] * 10)
        result, out, seconds = self.issue("down.example.test")
        self.assert_failed(result, out, "serverInternal: down")
        self.assertEqual(self.count(NEW_ORDER), 4)  # attempts in all, then the error
        self.assertLess(seconds, 60)

    def test_429_retry_after_seconds_and_date(self):
        limited = problem("rateLimited", "slow down")
        # An HTTP date has whole seconds: the order that went through was sent
        # no earlier than that second.
        not_before = int(time.time() + 3)
        date = email.utils.formatdate(not_before, usegmt=True)
        self.proxy.fail(NEW_ORDER, [(429, PROBLEM + [("Retry-After", "1")], limited),
                                    (429, PROBLEM + [("Retry-After", date)], limited)])
        result, out, seconds = self.issue("limited.example.test")
        self.assert_issued(result, out, "limited.example.test")
        self.assertEqual(self.count(NEW_ORDER), 3)
        self.assertGreaterEqual(seconds, 1)  # the first Retry-After
        self.assertGreaterEqual(time.time(), not_before)  # and the date

    def test_429_longer_than_worth_waiting(self):
        self.proxy.fail(NEW_ORDER, [(429, PROBLEM + [("Retry-After", "86400")],
                                     problem("rateLimited", "too many certificates"))])
        result, out, seconds = self.issue("ratelimited.example.test")
        message = self.assert_one_line_error(result)
        self.assertIn("too many certificates", message)
        self.assertIn("retry after 86400 s", message)
        self.assertLess(seconds, 30)

    def test_reset_mid_body(self):
        self.proxy.fail(AUTHZ, [(200, [("Content-Type", "application/json")],
                                 Reset(json.dumps({"status": "pending", "padding": "x" * 4000})))])
        self.proxy.fail(CERT, [(200, [("Content-Type", "application/pem-certificate-chain")],
                                Reset("-----BEGIN CERTIFICATE-----\n" + "A" * 4000))])
        result, out, _ = self.issue("reset.example.test")
        self.assert_issued(result, out, "reset.example.test")
        self.assertGreaterEqual(self.count(CERT), 2)

    def test_body_past_the_cap(self):
        huge = "-----BEGIN CERTIFICATE-----\n" + "A" * (17 * 1024 * 1024)
        self.proxy.fail(CERT, [(200, [("Content-Type", "application/pem-certificate-chain")],
                                huge)] * 4)
        result, out, _ = self.issue("huge.example.test")
        self.assert_failed(result, out, "16 MiB")

    def test_stalled_answer(self):
        """One authorization poll answered after the client's 30 s timeout:
        asked again, issued."""
        self.proxy.fail(AUTHZ, [(200, [("Content-Type", "application/json")],
                                 Stall(35, json.dumps({"status": "pending"})))])
        result, out, seconds = self.issue("stall.example.test")
        self.assert_issued(result, out, "stall.example.test")
        self.assertGreaterEqual(seconds, 29)
        self.assertLess(seconds, 120)


if __name__ == "__main__":
    unittest.main()
