"""SIGKILL at 20 points of a 10-name `issue` (hardening issue, section 3):
the points are drawn from a seeded generator over the time one run takes, so
a failure names a seed and a delay that reproduce it. After each kill the
same command is run again: it issues, leaves no TXT record, and the output
directory holds either nothing or one consistent certificate — never half
of one."""

import os
import random
import signal
import time
import unittest

import harness

SEED = int(os.environ.get("DNSACME_KILL_SEED", "20261203"))
POINTS = 20
NAMES = ["kill.example.test", "*.kill.example.test"] + \
        ["k%d.kill.example.test" % i for i in range(8)]
FILES = ("cert.pem", "chain.pem", "fullchain.pem", "privkey.pem", "metadata.json")


class KillTest(harness.IntegrationTestCase):

    def argv(self, out):
        argv = ["issue", "--dns", "rfc2136", "--agree-tos", "--out", out]
        for name in NAMES:
            argv += ["-d", name]
        return argv

    def assert_whole_or_nothing(self, out, why):
        present = [f for f in FILES if os.path.exists(os.path.join(out, f))]
        if present:
            self.assertEqual(present, list(FILES), why)
            self.env.verify_certificate(out, NAMES, "ec256")

    def test_killed_anywhere_then_rerun(self):
        # How long one run takes here decides where the kills can land.
        out = self.out_dir()
        start = time.monotonic()
        first = self.env.dnsacme(*self.argv(out))
        span = time.monotonic() - start
        self.assertEqual(first.returncode, 0, first.stderr)
        rng = random.Random(SEED)
        for point in range(POINTS):
            delay = rng.uniform(0, span)
            why = "seed %d, point %d: SIGKILL after %.3f s" % (SEED, point, delay)
            out = self.out_dir() if point % 2 else out  # fresh outputs and reissues both
            run = self.env.dnsacme_start(*self.argv(out))
            time.sleep(delay)
            os.kill(run.proc.pid, signal.SIGKILL)
            run.wait(10)
            self.assert_whole_or_nothing(out, why)
            # Pebble's resolver keeps an answer up to a second: the killed
            # run's NXDOMAIN must not be what the rerun's validation sees.
            time.sleep(1.1)
            again = self.env.dnsacme(*self.argv(out))
            self.assertEqual(again.returncode, 0, why + ":\n" + again.stderr)
            self.env.verify_certificate(out, NAMES, "ec256")
            self.assertEqual(self.env.challenge_txt_records(), {}, why)
            # What a killed write left is gone: the link and one version.
            hidden = sorted(n for n in os.listdir(out) if n.startswith("."))
            self.assertEqual(len(hidden), 2, why + ": " + " ".join(hidden))
            self.assertEqual(hidden[1], "..data", why)


if __name__ == "__main__":
    unittest.main()
