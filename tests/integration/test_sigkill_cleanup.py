"""SIGKILL between present and cleanup leaves a TXT record behind; the next run
finds it in the cleanup journal and removes it."""

import time
import unittest

import harness


class SigkillCleanupTest(harness.IntegrationTestCase):

    # The secondary never gets the record, so the first run is stuck waiting
    # for propagation: killed after present, before cleanup, every time.
    ENV_OPTIONS = {"secondary_lag": True}

    def test_rerun_removes_what_a_killed_run_left(self):
        name = "sigkill.example.test"
        challenge = "_acme-challenge." + name
        run = self.env.dnsacme_start("issue", "--dns", "rfc2136", "--agree-tos", "-d", name,
                                     "--out", self.out_dir(), "--propagation-timeout", "300")
        try:
            self.assertTrue(harness.wait_for(lambda: self.env.txt(challenge), 60, run),
                            "the record never reached the primary")
        finally:
            run.kill()
        stale = self.env.txt(challenge)
        self.assertEqual(len(stale), 1)
        time.sleep(0.5)
        self.assertEqual(self.env.txt(challenge), stale, "someone removed it after SIGKILL")

        # Same state dir. The secondary still lags: check the primary only.
        self.issue([name], args=["--propagation-nameservers", self.env.primary])
        self.assertEqual(self.env.txt(challenge), [])
        deleted = [line for line in self.env.update_log()
                   if "deleting an RR at %s TXT" % challenge in line]
        self.assertTrue(deleted, "the stale value was never deleted")


if __name__ == "__main__":
    unittest.main()
