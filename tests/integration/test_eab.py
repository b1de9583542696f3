"""A CA that requires External Account Binding (Pebble with MAC keys)."""

import unittest

import harness


class EabTest(harness.IntegrationTestCase):

    ENV_OPTIONS = {"eab": True}

    # Each test registers its own account (its own --state-dir): an account
    # another test bound already would need no binding.

    def test_without_binding_is_refused(self):
        result = self.env.dnsacme("issue", "-q", "--dns", "rfc2136", "--agree-tos",
                                  "-d", "no-eab.example.test", "--out", self.out_dir(),
                                  "--state-dir", self.out_dir())
        message = self.assert_one_line_error(result, self.env.eab[1])
        self.assertRegex(message, r"(?i)external ?account|eab")

    def test_with_binding(self):
        kid, hmac_key = self.env.eab
        _, result = self.issue(["eab.example.test"],
                               args=["--eab-kid", kid, "--eab-hmac-key", hmac_key,
                                     "--state-dir", self.out_dir()])
        self.assertNotIn(hmac_key, result.stdout + result.stderr)

    def test_wrong_hmac_key_is_refused(self):
        kid, _ = self.env.eab
        wrong = "d3JvbmctbWFjLWtleS13cm9uZy1tYWMta2V5LXdyb25nLW1hYw"
        result = self.env.dnsacme("issue", "-q", "--dns", "rfc2136", "--agree-tos",
                                  "-d", "bad-eab.example.test", "--out", self.out_dir(),
                                  "--eab-kid", kid, "--eab-hmac-key", wrong,
                                  "--state-dir", self.out_dir())
        self.assert_one_line_error(result, wrong, self.env.eab[1])


if __name__ == "__main__":
    unittest.main()
