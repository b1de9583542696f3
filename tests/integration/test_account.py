"""The account files under concurrency and damage: first runs that race on
one fresh state dir end with one key and that key's URL, and a saved URL the
CA refuses for the key is replaced by the key's own account's, not a failure
of every later run."""

import concurrent.futures
import json
import os
import tempfile
import unittest

import harness

RACERS = 6
ROUNDS = 3


class AccountTest(harness.IntegrationTestCase):

    def issue(self, state_dir, name, *args):
        """issue name with state_dir; pass "-v" (or "-q") in args as wanted."""
        return self.env.dnsacme("issue", "--dns", "rfc2136", "--agree-tos", "-d", name,
                                "--out", self.out_dir(), "--state-dir", state_dir, *args)

    def account_files(self, state_dir):
        accounts = os.path.join(state_dir, "accounts")
        (ca,) = os.listdir(accounts)
        (path,) = os.listdir(os.path.join(accounts, ca))
        return os.path.join(accounts, ca, path)

    def test_first_runs_racing_share_one_account(self):
        for round_ in range(ROUNDS):
            state = tempfile.mkdtemp(prefix="state-", dir=self.env.tmp)
            with concurrent.futures.ThreadPoolExecutor(RACERS) as pool:
                results = list(pool.map(
                    lambda i: self.issue(state, "race%d-%d.example.test" % (round_, i), "-q"),
                    range(RACERS)))
            for result in results:
                self.assertEqual(result.returncode, 0, result.stderr)
            # The key and the URL belong together: a later run uses them as
            # they are, with no warning that the CA refused the URL.
            after = self.issue(state, "race%d-after.example.test" % round_, "-v")
            self.assertEqual(after.returncode, 0, after.stderr)
            self.assertNotIn("is not this key's account", after.stderr)
            files = os.listdir(self.account_files(state))
            self.assertEqual(sorted(f for f in files if not f.endswith(".lock")),
                             ["account.json", "account.key"])

    def test_refused_url_is_replaced_by_the_keys_own(self):
        mine = tempfile.mkdtemp(prefix="state-", dir=self.env.tmp)
        other = tempfile.mkdtemp(prefix="state-", dir=self.env.tmp)
        for state in (mine, other):
            self.assertEqual(self.issue(state, "acct.example.test", "-q").returncode, 0)
        url_file = os.path.join(self.account_files(mine), "account.json")
        with open(url_file) as f:
            right = json.load(f)["url"]
        with open(os.path.join(self.account_files(other), "account.json")) as f:
            wrong = json.load(f)["url"]
        self.assertNotEqual(right, wrong)
        with open(url_file, "w") as f:
            json.dump({"url": wrong}, f)

        result = self.issue(mine, "acct.example.test")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("is not this key's account; using " + right, result.stderr)
        with open(url_file) as f:
            self.assertEqual(json.load(f)["url"], right)
        again = self.issue(mine, "acct.example.test")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertNotIn("is not this key's account", again.stderr)

    def test_leftover_temporary_key_removed(self):
        state = tempfile.mkdtemp(prefix="state-", dir=self.env.tmp)
        self.assertEqual(self.issue(state, "tmp.example.test", "-q").returncode, 0)
        leftover = os.path.join(self.account_files(state), ".account.key.tmp-0badc0de")
        with open(leftover, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\n")
        self.assertEqual(self.issue(state, "tmp.example.test", "-q").returncode, 0)
        self.assertFalse(os.path.exists(leftover))


if __name__ == "__main__":
    unittest.main()
