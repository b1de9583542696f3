"""Every --key-type gives a certificate with that key, and privkey.pem holds it."""

import unittest

import harness


class KeyTypesTest(harness.IntegrationTestCase):

    def test_each_key_type(self):
        for key_type in harness.KEY_TYPES:
            with self.subTest(key_type=key_type):
                # A name per key type, so no order reuses another's authorization.
                self.issue(["%s.example.test" % key_type], key_type=key_type)

    def test_default_is_ec256(self):
        # Without --key-type, issue() checks the files against ec256.
        self.issue(["default-key.example.test"])


if __name__ == "__main__":
    unittest.main()
