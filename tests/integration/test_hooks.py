"""dnsacme as another client's DNS hook: certbot's manual hooks as they are
(CERTBOT_DOMAIN and CERTBOT_VALIDATION, no wrapper script), and `present`
returning only once every nameserver of the zone has the value — a lagging
secondary is waited for, a frozen one fails the hook, naming it."""

import os
import shlex
import subprocess
import time
import unittest

import harness

LAG = 2.0


class HookTest(harness.IntegrationTestCase):

    # Pebble rejects no nonces here: certbot 2.1 retries a badNonce once, and
    # when the retry is refused too it dies of its own error handling
    # ("AttributeError: can't set attribute", from josepy), which failed
    # this test now and then under Pebble's default 5 %.
    ENV_OPTIONS = {"secondary_lag": True, "nonce_reject": 0}

    def hook(self, command):
        """The hook line a user writes, with this harness's binary and resolvers."""
        return " ".join(shlex.quote(a) for a in self.env.dnsacme_argv(
            command, "--dns", "rfc2136"))

    def test_certbot_manual_hooks(self):
        names = ["hooked.example.test", "*.hooked.example.test"]
        work = self.out_dir()
        argv = ["certbot", "certonly", "--non-interactive", "--agree-tos",
                "--register-unsafely-without-email", "--server", self.env.directory_url,
                "--config-dir", os.path.join(work, "config"),
                "--work-dir", os.path.join(work, "work"), "--logs-dir", os.path.join(work, "logs"),
                "--manual", "--preferred-challenges", "dns",
                "--manual-auth-hook", self.hook("present"),
                "--manual-cleanup-hook", self.hook("cleanup"), "--key-type", "ecdsa"]
        for name in names:
            argv += ["-d", name]
        env = dict(self.env.dnsacme_env(), REQUESTS_CA_BUNDLE=self.env.tls_ca)
        run = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        # The secondary gets the records only when the test says: certbot
        # must not get past its hook before that.
        harness.wait_for(lambda: self.env.txt("_acme-challenge.hooked.example.test", "primary"),
                         60)
        time.sleep(LAG)
        if run.poll() is not None:
            self.fail("certbot ended before the secondary had the record: %s"
                      % run.communicate()[0].replace(self.env.tsig_secret, "***"))
        while run.poll() is None:
            self.env.sync_secondary()
            time.sleep(0.2)
        output = run.communicate()[0]
        self.assertEqual(run.returncode, 0, output.replace(self.env.tsig_secret, "***"))
        live = os.path.join(work, "config", "live", "hooked.example.test")
        with open(os.path.join(live, "fullchain.pem")) as f:
            self.assertIn("BEGIN CERTIFICATE", f.read())
        self.assertNotIn(self.env.tsig_secret, output)

    def test_present_waits_for_the_secondary(self):
        name = "waits.example.test"
        run = self.env.dnsacme_start("present", "--dns", "rfc2136", "-d", name, "--value", "v1")
        published = harness.wait_for(
            lambda: self.env.txt("_acme-challenge." + name, "primary"), 60, run)
        self.assertTrue(published)
        time.sleep(LAG)
        self.assertTrue(run.running(), "present returned before the secondary had it")
        self.env.sync_secondary()
        result = run.wait(timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.env.txt("_acme-challenge." + name, "secondary"), ["v1"])
        # --no-wait returns once the primary has it.
        nowait = self.env.dnsacme("present", "--dns", "rfc2136", "-d", name, "--value", "v2",
                                  "--no-wait", timeout=20)
        self.assertEqual(nowait.returncode, 0, nowait.stderr)
        for value in ("v1", "v2"):
            self.assertEqual(self.env.dnsacme("cleanup", "--dns", "rfc2136", "-d", name,
                                              "--value", value).returncode, 0)

    def test_frozen_secondary_fails_the_hook(self):
        name = "frozen.example.test"
        env = {"CERTBOT_DOMAIN": name, "CERTBOT_VALIDATION": "frozen-value"}
        start = time.monotonic()
        result = self.env.dnsacme("present", "-q", "--dns", "rfc2136", "--propagation-timeout",
                                  "2", extra_env=env)
        message = self.assert_one_line_error(result)
        self.assertLess(time.monotonic() - start, 20)
        self.assertIn("not visible after 2 s", message)
        self.assertIn(self.env.secondary, message)
        # The record stays for the caller's cleanup hook, which removes it.
        self.assertEqual(self.env.txt("_acme-challenge." + name, "primary"), ["frozen-value"])
        cleanup = self.env.dnsacme("cleanup", "--dns", "rfc2136", extra_env=env)
        self.assertEqual(cleanup.returncode, 0, cleanup.stderr)

    def test_without_a_name(self):
        result = self.env.dnsacme("present", "--dns", "rfc2136", "--value", "x",
                                  extra_env={"CERTBOT_DOMAIN": None})
        self.assertIn("exactly one -d NAME is required (or CERTBOT_DOMAIN)",
                      self.assert_one_line_error(result))


if __name__ == "__main__":
    unittest.main()
