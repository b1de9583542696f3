"""The renewal record `issue` leaves in STATE_DIR/renewal/NAME.json: what
`renew` needs to issue the certificate again unattended, and never a
secret — a secret is recorded by the file or variable it came from."""

import json
import os
import stat
import unittest

import harness


class RenewalRecordTest(harness.IntegrationTestCase):

    def record(self, name):
        path = os.path.join(self.env.state_dir, "renewal", name + ".json")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            text = f.read()
        self.assertNotIn(self.env.tsig_secret, text)
        return json.loads(text)

    def test_secret_from_the_environment(self):
        info, _ = self.issue(["*.record.example.test", "record.example.test"],
                             key_type="ec384",
                             args=["--deploy-hook", "true", "--propagation-timeout", "120"])
        rec = self.record("record.example.test")
        self.assertEqual(rec["names"], ["*.record.example.test", "record.example.test"])
        self.assertEqual(rec["ca"], self.env.directory_url)
        self.assertEqual(rec["key_type"], "ec384")
        self.assertEqual(rec["out"], info["out"])
        self.assertEqual(rec["deploy_hook"], "true")
        self.assertEqual(rec["propagation_timeout"], 120)
        self.assertEqual(rec["dns"]["name"], "rfc2136")
        self.assertEqual(rec["dns"]["options"]["nameserver"], self.env.primary)
        self.assertNotIn("tsig_secret", rec["dns"]["options"])
        self.assertEqual(rec["dns"]["secrets"]["tsig_secret"], {"env": "RFC2136_TSIG_SECRET"})

    def test_secret_from_a_file_and_given_as_a_value(self):
        secret_file = os.path.join(self.env.tmp, "tsig.secret")
        with open(secret_file, "w") as f:
            f.write(self.env.tsig_secret + "\n")
        self.issue(["file.record.example.test"],
                   extra_env={"RFC2136_TSIG_SECRET": None,
                              "RFC2136_TSIG_SECRET_FILE": secret_file})
        rec = self.record("file.record.example.test")
        self.assertEqual(rec["dns"]["secrets"]["tsig_secret"], {"file": secret_file})

        # On the command line the value is not kept: renewal looks in the
        # variable, and the run says so.
        _, result = self.issue(["argv.record.example.test"],
                               args=["--dns-option", "tsig_secret=" + self.env.tsig_secret],
                               extra_env={"RFC2136_TSIG_SECRET": None})
        rec = self.record("argv.record.example.test")
        self.assertEqual(rec["dns"]["secrets"]["tsig_secret"], {"env": "RFC2136_TSIG_SECRET"})
        self.assertIn("tsig_secret was given as a value, which is not saved for renewal",
                      result.stderr)


if __name__ == "__main__":
    unittest.main()
