"""The main job: one order for a zone's apex and its wildcard. Both
authorizations put a TXT value at the same name, _acme-challenge.example.test."""

import unittest

import harness


class ApexWildcardTest(harness.IntegrationTestCase):

    def test_apex_and_wildcard_in_one_order(self):
        names = ["example.test", "*.example.test"]
        info, _ = self.issue(names)
        self.assertEqual(self.env.cert_status(info["serial"])["Status"], "Valid")
        # Both values went to the one name and both were removed again.
        added = [line for line in self.env.update_log()
                 if "adding an RR at '_acme-challenge.example.test' TXT" in line]
        self.assertEqual(len(added), 2, "\n".join(self.env.update_log()))


if __name__ == "__main__":
    unittest.main()
