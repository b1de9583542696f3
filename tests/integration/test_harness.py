"""The harness itself: BIND primary -> secondary, the resolver, Pebble over TLS,
slots, teardown. Runs without dnsacme, with the same tools nsupdate and dig use."""

import fcntl
import json
import os
import signal
import ssl
import subprocess
import sys
import unittest
import urllib.error
import urllib.request

import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update

import harness
from harness import wait_for


def lo_addresses():
    return subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True,
                          text=True, check=True).stdout


class HarnessTest(harness.IntegrationTestCase):

    def test_signed_update_reaches_secondary(self):
        name = "_acme-challenge.www.example.test"
        self.assertEqual(self.env.update("example.test", adds=[(name, 60, "one")]), "NOERROR")
        self.assertEqual(self.env.txt(name, "primary"), ["one"])
        self.assertTrue(wait_for(lambda: self.env.txt(name, "secondary") == ["one"]),
                        "NOTIFY + IXFR did not bring the record to the secondary")
        self.assertEqual(self.env.update("example.test", deletes=[(name, "one")]), "NOERROR")
        self.assertTrue(wait_for(lambda: self.env.txt(name, "secondary") == []))

    def test_update_with_wrong_secret_is_refused(self):
        name = "_acme-challenge.wrong.example.test"
        wrong = "c2VjcmV0LXRoYXQtYmluZC1kb2VzLW5vdC1rbm93IQ=="
        self.assertEqual(self.env.update("example.test", adds=[(name, 60, "x")], secret=wrong),
                         "BADSIG")
        self.assertEqual(self.env.txt(name), [])

    def test_policy_allows_txt_only(self):
        # zonesub TXT: the key may not touch other types (nor other zones).
        keyring = dns.tsigkeyring.from_text({"acme-update.": self.env.tsig_secret})
        msg = dns.update.UpdateMessage("example.test", keyring=keyring,
                                       keyalgorithm="hmac-sha256.")
        msg.add("evil.example.test.", 60, "A", "192.0.2.1")
        reply = dns.query.tcp(msg, self.env.primary, timeout=5)
        self.assertEqual(dns.rcode.to_text(reply.rcode()), "REFUSED")

    def test_nsupdate_and_dig(self):
        # The same path by the command-line tools, as a person debugging would.
        name = "_acme-challenge.cli.example.test"
        script = ("server %s 53\nzone example.test\nupdate add %s. 60 TXT \"from-nsupdate\"\n"
                  "send\n" % (self.env.primary, name))
        subprocess.run(["nsupdate", "-y", "hmac-sha256:acme-update.:" + self.env.tsig_secret],
                       input=script, text=True, check=True, capture_output=True)
        self.assertTrue(wait_for(lambda: self.env.txt(name, "secondary") == ["from-nsupdate"]))
        dig = subprocess.run(["dig", "+short", "+norecurse", "@" + self.env.secondary, name,
                              "TXT"], capture_output=True, text=True, check=True)
        self.assertEqual(dig.stdout.strip(), '"from-nsupdate"')
        self.assertEqual(self.env.update("example.test", deletes=[(name, "from-nsupdate")]),
                         "NOERROR")

    def test_discovery_records(self):
        for zone in harness.ZONES:
            ns = self.env._query(zone, "NS", self.env.primary, recursive=False)
            self.assertEqual(sorted(rd.target.to_text() for rr in ns.answer for rd in rr),
                             ["ns1.%s." % zone, "ns2.%s." % zone])
            for host, addr in (("ns1", self.env.primary), ("ns2", self.env.secondary)):
                a = self.env._query("%s.%s" % (host, zone), "A", self.env.resolver, True)
                self.assertEqual([rd.address for rr in a.answer for rd in rr], [addr])

    def test_resolver_follows_cname_into_validation_zone(self):
        target = harness.CNAME_TARGET
        self.assertEqual(self.env.update("validation.test", adds=[(target, 60, "via-cname")]),
                         "NOERROR")
        name = "_acme-challenge." + harness.CNAME_NAME
        # The authoritative answer is the CNAME alone; the resolver chases it.
        self.assertEqual(self.env.txt(name, "primary"), [])
        for resolver in ("resolver", "ca-resolver"):
            self.assertEqual(self.env.txt(name, resolver), ["via-cname"], resolver)
        self.assertEqual(self.env.update("validation.test", deletes=[(target, "via-cname")]),
                         "NOERROR")
        # max-cache-ttl 0 still keeps an answer until the next second ticks.
        for resolver in ("resolver", "ca-resolver"):
            self.assertTrue(wait_for(lambda: self.env.txt(name, resolver) == [], timeout=2.5),
                            "%s caches longer than BIND's minimum" % resolver)

    def test_pebble_directory_over_tls(self):
        directory = json.loads(self.env.https_get(self.env.directory_url))
        for key in ("newNonce", "newAccount", "newOrder", "revokeCert"):
            self.assertTrue(directory[key].startswith("https://127.0.0.1:%d/"
                                                      % self.env.acme_port), key)
        self.assertFalse(directory["meta"].get("externalAccountRequired", False))
        # The certificate is the run's own: the system trust store refuses it.
        with self.assertRaises(urllib.error.URLError) as caught:
            urllib.request.urlopen(self.env.directory_url, context=ssl.create_default_context(),
                                   timeout=5)
        self.assertIsInstance(caught.exception.reason, ssl.SSLCertVerificationError)
        with open(self.env.pebble_root) as f:
            self.assertIn("BEGIN CERTIFICATE", f.read())

    def test_curl_reaches_pebble_with_the_ca_bundle(self):
        out = subprocess.run(["curl", "-sS", "--cacert", self.env.tls_ca, self.env.directory_url],
                             capture_output=True, text=True, check=True).stdout
        self.assertIn("newOrder", out)

    def test_second_env_takes_another_slot(self):
        with harness.Env(zones=["extra.test"]) as other:
            self.assertNotEqual(other.slot, self.env.slot)
            self.assertNotEqual(other.primary, self.env.primary)
            for zone in harness.ZONES + ("extra.test",):
                self.assertEqual(other._soa_serial(zone, other.secondary), 1, zone)
            name = "_acme-challenge.extra.test"
            self.assertEqual(other.update("extra.test", adds=[(name, 60, "x")]), "NOERROR")
            self.assertEqual(other.txt(name, "ca-resolver"), ["x"])
            self.assertEqual(other.update("extra.test", deletes=[(name, "x")]), "NOERROR")
            addr = other.primary
        self.assertNotIn(addr + "/32", lo_addresses())


class LaggingSecondaryTest(unittest.TestCase):

    def test_secondary_waits_for_sync(self):
        name = "_acme-challenge.lag.example.test"
        with harness.Env(secondary_lag=True) as env:
            self.assertEqual(env.update("example.test", adds=[(name, 60, "late")]), "NOERROR")
            self.assertFalse(wait_for(lambda: env.txt(name, "secondary") != [], timeout=1.5),
                             "the secondary transferred without being told to")
            env.sync_secondary()
            self.assertEqual(env.txt(name, "secondary"), ["late"])
            self.assertEqual(env.update("example.test", deletes=[(name, "late")]), "NOERROR")


class ShellModeTest(unittest.TestCase):

    def test_up_tears_down_on_sigterm(self):
        proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__),
                                                              "harness.py"), "up"],
                                stdout=subprocess.PIPE, text=True)
        try:
            variables = {}
            for line in proc.stdout:
                if line.startswith("# ready"):
                    break
                key, _, value = line.removeprefix("export ").strip().partition("=")
                variables[key] = value.strip("'")
            primary = variables["DNS_PRIMARY"]
            self.assertIn(primary + "/32", lo_addresses())
            self.assertTrue(os.path.isdir(variables["DNSACME_TEST_TMP"]))
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 128 + signal.SIGTERM)
            self.assertFalse(os.path.exists(variables["DNSACME_TEST_TMP"]))
            # The slot is free again: holding it ourselves, its addresses must
            # be gone. (When another test took it first, they are its own.)
            slot = int(variables["DNSACME_TEST_SLOT"])
            with open(harness.SLOT_LOCK.format(slot), "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return
                self.assertNotIn(primary + "/32", lo_addresses())
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.stdout.close()


if __name__ == "__main__":
    unittest.main()
