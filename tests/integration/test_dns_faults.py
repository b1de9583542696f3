"""Faulty DNS in the propagation check (hardening issue, section 3): a
nameserver in front of the primary (tests/fakes/faultdns.py) answers
REFUSED, SERVFAIL, nothing at all, or without the AA bit — none of which
confirms a record — or truncates its UDP answers, which TCP must then carry.
Each run ends in a certificate or in one error naming the server, within
--propagation-timeout, with no TXT record left and nothing written."""

import os
import sys
import time
import unittest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from faultdns import FaultDNS  # noqa: E402

TIMEOUT = 3


class DnsFaultTest(harness.IntegrationTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dns = FaultDNS(upstream=(cls.env.primary, 53)).start()

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()
        super().tearDownClass()

    def issue(self, name):
        out = self.out_dir()
        start = time.monotonic()
        result = self.env.dnsacme("issue", "-q", "--dns", "rfc2136", "--agree-tos", "-d", name,
                                  "--out", out, "--propagation-nameservers", self.dns.address,
                                  "--propagation-timeout", str(TIMEOUT))
        return result, out, time.monotonic() - start

    def test_servers_that_confirm_nothing(self):
        for mode, words in (("refused", "answered REFUSED"), ("servfail", "answered SERVFAIL"),
                            ("silent", "did not answer"), ("no-aa", "is not authoritative")):
            with self.subTest(mode=mode):
                self.dns.mode = mode
                before = self.dns.queries
                result, out, seconds = self.issue("%s.example.test" % mode)
                message = self.assert_one_line_error(result)
                self.assertIn("not visible after %d s" % TIMEOUT, message)
                self.assertIn(self.dns.address, message)
                self.assertIn(words, message)
                self.assertEqual(os.listdir(out), [])
                self.assertLess(seconds, TIMEOUT + 15)
                self.assertGreater(self.dns.queries, before)
                self.assertEqual(self.env.challenge_txt_records(), {})

    def test_truncated_udp_is_asked_again_over_tcp(self):
        self.dns.mode = "truncate"
        before = self.dns.tcp_queries
        result, out, _ = self.issue("truncated.example.test")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.env.verify_certificate(out, ["truncated.example.test"], "ec256")
        self.assertGreater(self.dns.tcp_queries, before)

    def test_random_ids_and_answers_in_any_order(self):
        """Every query has an id of its own (RFC 5452: with the source port,
        what an off-path forger must guess; c-ares 1.18 sent 0 in all), and
        answers that come back in another order than their queries, from
        the resolver and from the nameserver, are all taken."""
        resolver = FaultDNS(upstream=(self.env.resolver, 53)).start()
        self.addCleanup(resolver.stop)
        resolver.mode = self.dns.mode = "jitter"
        since = len(self.dns.ids)
        names = ["jitter%d.example.test" % i for i in range(8)]
        out = self.out_dir()
        argv = ["issue", "-q", "--dns", "rfc2136", "--agree-tos", "--out", out,
                "--dns-resolvers", resolver.address,
                "--propagation-nameservers", self.dns.address]
        for name in names:
            argv += ["-d", name]
        result = self.env.dnsacme(*argv)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.env.verify_certificate(out, names, "ec256")
        ids = resolver.ids + self.dns.ids[since:]
        self.assertGreaterEqual(len(ids), 16)
        # Random 16-bit ids: a repeat among a few dozen is rare, many are not.
        self.assertGreaterEqual(len(set(ids)), len(ids) - 2, sorted(ids))

    def test_forwarded_as_is_works(self):
        self.dns.mode = None
        result, out, _ = self.issue("plain.example.test")
        self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    unittest.main()
