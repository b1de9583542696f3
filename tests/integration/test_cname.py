"""_acme-challenge.delegated.example.test is a CNAME into validation.test: the
TXT record must be published at the target, in the other zone."""

import unittest

import harness


class CnameTest(harness.IntegrationTestCase):

    def test_challenge_follows_cname_into_validation_zone(self):
        self.issue([harness.CNAME_NAME])
        log = self.env.update_log()
        target = "'%s' TXT" % harness.CNAME_TARGET
        self.assertTrue(any("zone 'validation.test/IN': adding an RR at " + target in line
                            for line in log), "\n".join(log))
        self.assertFalse(any("zone 'example.test/IN'" in line for line in log),
                         "an update went to the CNAME's own zone:\n" + "\n".join(log))

    def test_present_and_cleanup_follow_cname(self):
        # The plugin commands on their own, as the webhook uses them. Another
        # client's value at the same name must survive both.
        target = harness.CNAME_TARGET
        foreign = "someone-elses-value"
        self.assertEqual(self.env.update("validation.test", adds=[(target, 60, foreign)]),
                         "NOERROR")
        value = "present-through-cname"
        common = ["--dns", "rfc2136", "-d", harness.CNAME_NAME, "--value", value]
        for _ in range(2):  # present is idempotent
            result = self.env.dnsacme("present", *common)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(self.env.txt(target), sorted([foreign, value]))
        result = self.env.dnsacme("cleanup", *common)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.env.txt(target), [foreign])
        self.assertEqual(self.env.update("validation.test", deletes=[(target, foreign)]),
                         "NOERROR")


if __name__ == "__main__":
    unittest.main()
