"""One order for 100 names: apex, wildcard and 98 hosts, published in batches
(RFC 2136 sends one UPDATE per zone, not one per record)."""

import unittest

import harness


class ManyNamesTest(harness.IntegrationTestCase):

    def test_one_hundred_names(self):
        names = ["example.test", "*.example.test"]
        names += ["host%02d.example.test" % i for i in range(1, 99)]
        before = self.env.incoming_updates()
        self.issue(names)
        updates = self.env.incoming_updates() - before
        # 100 values to add and remove: one message per record each way would
        # be 200. Batching makes it a handful, however the plugin splits them.
        self.assertGreaterEqual(updates, 2)
        self.assertLess(updates, 20, "%d UPDATE messages for one zone" % updates)


if __name__ == "__main__":
    unittest.main()
