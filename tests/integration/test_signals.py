"""SIGTERM or SIGINT while dnsacme waits for DNS: it stops waiting, removes
every TXT record it published, empties its cleanup journal and exits 1 with
one line naming the interruption."""

import os
import signal
import unittest

import harness


class SignalCleanupTest(harness.IntegrationTestCase):

    # The secondary never gets the records: the run is always still waiting
    # for propagation when the signal arrives.
    ENV_OPTIONS = {"secondary_lag": True}

    def interrupt(self, sig, names):
        args = ["issue", "-q", "--dns", "rfc2136", "--agree-tos", "--out", self.out_dir(),
                "--propagation-timeout", "300"]
        for name in names:
            args += ["-d", name]
        run = self.env.dnsacme_start(*args)
        challenge = "_acme-challenge." + names[0]
        try:
            self.assertTrue(harness.wait_for(lambda: self.env.txt(challenge), 60, run),
                            "the record never reached the primary")
            run.proc.send_signal(sig)
            result = run.wait(30)
        finally:
            if run.running():
                run.kill()
        stderr = result.stderr
        self.assertEqual(result.returncode, 1, stderr)
        lines = stderr.strip("\n").split("\n")
        self.assertEqual(len(lines), 1, stderr)
        self.assertRegex(lines[0], r"^dnsacme: error: .*interrupted")
        for name in names:
            self.assertEqual(self.env.txt("_acme-challenge." + name.lstrip("*.")), [])
        self.assertFalse(os.path.exists(os.path.join(self.env.state_dir, "journal.json")),
                         "the journal still lists records")

    def test_sigterm_removes_the_records(self):
        self.interrupt(signal.SIGTERM, ["term.example.test", "*.term.example.test"])

    def test_sigint_removes_the_records(self):
        self.interrupt(signal.SIGINT, ["int.example.test"])


if __name__ == "__main__":
    unittest.main()
