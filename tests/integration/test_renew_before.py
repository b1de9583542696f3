"""--renew-before DAYS, as a daily timer runs it: the second run leaves a
certificate with more than DAYS left alone (no order, no deploy hook), and
renews one that is due."""

import os
import unittest

import harness


class RenewBeforeTest(harness.IntegrationTestCase):

    def run_issue(self, out, days, hook_log):
        return self.env.dnsacme("issue", "--dns", "rfc2136", "--agree-tos", "-d",
                                "renew.example.test", "--out", out, "--renew-before", str(days),
                                "--deploy-hook", "echo deployed >> " + hook_log)

    def test_second_run_renews_only_when_due(self):
        info, _ = self.issue(["renew.example.test"])
        out = info["out"]
        hook_log = os.path.join(out, "..", "hook.log")

        # Pebble's certificates live 90 days: not due with 30 days' notice.
        before = self.env.incoming_updates()
        result = self.run_issue(out, 30, hook_log)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.env.incoming_updates(), before, "a record was published")
        self.assertEqual(self.env.verify_certificate(out, ["renew.example.test"], "ec256",
                                                     0)["serial"], info["serial"])
        self.assertFalse(os.path.exists(hook_log), "the deploy hook ran for nothing")

        # Due with 100 days' notice: a new certificate, and the hook runs.
        result = self.run_issue(out, 100, hook_log)
        self.assertEqual(result.returncode, 0, result.stderr)
        renewed = self.env.verify_certificate(out, ["renew.example.test"], "ec256", 0)
        self.assertNotEqual(renewed["serial"], info["serial"])
        with open(hook_log) as f:
            self.assertEqual(f.read(), "deployed\n")


if __name__ == "__main__":
    unittest.main()
