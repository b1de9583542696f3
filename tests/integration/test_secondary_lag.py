"""A secondary that lags: dnsacme must not answer the challenge until every
authoritative server, the secondary too, serves the TXT record."""

import time
import unittest

import harness

LAG = 3.0  # seconds the secondary is held back after the primary has the record


class SecondaryLagTest(harness.IntegrationTestCase):

    ENV_OPTIONS = {"secondary_lag": True}

    def test_waits_for_the_lagging_secondary(self):
        name = "lag.example.test"
        challenge = "_acme-challenge." + name
        out = self.out_dir()
        started = time.monotonic()
        run = self.env.dnsacme_start("issue", "-v", "--dns", "rfc2136", "--agree-tos",
                                     "-d", name, "--out", out)
        try:
            published = harness.wait_for(lambda: self.env.txt(challenge, "primary"), 60, run)
            self.assertTrue(published, "the record never reached the primary")
            time.sleep(LAG)
            self.assertEqual(self.env.txt(challenge, "secondary"), [])
            self.assertTrue(run.running(), "dnsacme finished while the secondary lacked "
                            "the record:\n" + run.output()[1])
            released = time.monotonic()
            self.env.sync_secondary()
            result = run.wait(timeout=120)
        finally:
            if run.running():
                run.kill()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.env.verify_certificate(out, [name], "ec256")
        # Pebble's VA begins each validation when a challenge is answered: that
        # must come after the secondary could have the record, not before.
        validations = [t for t in self.env.pebble_validations() if t > started]
        self.assertTrue(validations, "Pebble never validated")
        self.assertGreater(min(validations), released,
                           "challenge answered %.2f s before the secondary had the record"
                           % (released - min(validations)))
        # -v shows which server it was waiting for.
        self.assertIn(self.env.secondary, result.stderr)


if __name__ == "__main__":
    unittest.main()
