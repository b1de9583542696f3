"""The deploy hook: it sees the certificate's place and names, never a
variable that may hold a secret (any installed plugin's), runs
with no-new-privileges, and is stopped — with what it started — when it runs
past --deploy-hook-timeout."""

import os
import time
import unittest

import harness

SECRETS = {
    "ALICLOUD_SECRET_KEY": "alicloud-secret-value",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-value",
    "AWS_SESSION_TOKEN_FILE": "/run/secrets/aws-token",
    "ALICLOUD_SECURITY_TOKEN_FILE": "/run/secrets/alicloud-token",
}


class DeployHookTest(harness.IntegrationTestCase):

    def test_environment(self):
        seen = os.path.join(self.env.tmp, "hook.env")
        status = os.path.join(self.env.tmp, "hook.status")
        env = dict(SECRETS, HOOK_KEEPS="kept")
        info, _ = self.issue(["hook.example.test", "*.hook.example.test"], extra_env=env,
                             args=["--deploy-hook",
                                   "env > %s; cat /proc/self/status > %s" % (seen, status)])
        with open(seen) as f:
            hook_env = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
        self.assertEqual(hook_env.get("DNSACME_CERT_DIR"), info["out"])
        self.assertEqual(hook_env.get("RENEWED_LINEAGE"), info["out"])
        self.assertEqual(hook_env.get("RENEWED_DOMAINS"), "hook.example.test *.hook.example.test")
        self.assertEqual(hook_env.get("HOOK_KEEPS"), "kept")
        for name in list(SECRETS) + ["RFC2136_TSIG_SECRET"]:
            self.assertNotIn(name, hook_env)
        with open(status) as f:
            self.assertIn("NoNewPrivs:\t1", f.read())

    def test_timeout_stops_the_group(self):
        bg = os.path.join(self.env.tmp, "hook.bg")
        out = self.out_dir()
        started = time.monotonic()
        result = self.env.dnsacme(
            "issue", "--dns", "rfc2136", "--agree-tos", "-d", "slow.example.test", "--out", out,
            "--deploy-hook", "sleep 120 & echo $! > %s; wait" % bg,
            "--deploy-hook-timeout", "1", "--quiet")
        elapsed = time.monotonic() - started
        line = self.assert_one_line_error(result)
        self.assertIn("the deploy hook ran past 1 s and was stopped (the certificate is in %s)"
                      % out, line)
        self.assertLess(elapsed, 60)
        # The certificate stays; the hook's background child went with it.
        self.env.verify_certificate(out, ["slow.example.test"], "ec256")
        with open(bg) as f:
            pid = int(f.read())
        deadline = time.monotonic() + 5
        while os.path.exists("/proc/%d" % pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(os.path.exists("/proc/%d" % pid), "the hook's child still runs")

    def test_bad_timeout(self):
        result = self.env.dnsacme("issue", "--dns", "rfc2136", "-d", "x.example.test",
                                  "--deploy-hook", "true", "--deploy-hook-timeout", "0")
        self.assertIn("--deploy-hook-timeout must be 1 to 86400 seconds",
                      self.assert_one_line_error(result))


if __name__ == "__main__":
    unittest.main()
