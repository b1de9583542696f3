"""dnsacme revoke: Pebble's management API then reports the certificate revoked."""

import unittest

import harness


class RevokeTest(harness.IntegrationTestCase):

    def test_revoke_with_reason(self):
        info, _ = self.issue(["revoke.example.test"])
        self.assertEqual(self.env.cert_status(info["serial"])["Status"], "Valid")
        result = self.env.dnsacme("revoke", "--cert", info["out"] + "/cert.pem",
                                  "--reason", "4")
        self.assertEqual(result.returncode, 0, result.stderr)
        status = self.env.cert_status(info["serial"])
        self.assertEqual(status["Status"], "Revoked")
        self.assertEqual(status["Reason"], 4)

    def test_revoking_twice_is_an_error(self):
        info, _ = self.issue(["revoke-twice.example.test"])
        cert = info["out"] + "/cert.pem"
        self.assertEqual(self.env.dnsacme("revoke", "--cert", cert).returncode, 0)
        message = self.assert_one_line_error(self.env.dnsacme("revoke", "--cert", cert))
        self.assertIn("alreadyRevoked", message)


if __name__ == "__main__":
    unittest.main()
