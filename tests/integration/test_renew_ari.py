"""ARI (RFC 9773) in `dnsacme renew`: Pebble 2.4 has no renewalInfo, so a
proxy in front of it (tests/fakes/caproxy.py) adds it to the directory and
serves the windows the test sets. Not due before the window, due inside it;
renewalInfo not asked again before its Retry-After; the order names what it
replaces; each way a CA refuses that gets the order again without it."""

import base64
import json
import os
import time
import unittest

import harness

NEW_ORDER = "/order-plz"


def payload(body):
    """The decoded payload of a JWS request body."""
    data = json.loads(body)["payload"]
    return json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)) or b"{}")


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class RenewAriTest(harness.ProxiedTestCase):
    # The tests count newOrder requests: no badNonce retries among them.
    ENV_OPTIONS = {"nonce_reject": 0}

    def setUp(self):
        super().setUp()
        self.window = None  # (start, end) as Unix times
        self.retry_after = "3600"
        base = self.proxy.directory_url.rsplit("/", 1)[0]

        def directory(status, headers, body):
            d = json.loads(body)
            d["renewalInfo"] = base + "/ari/"
            return status, headers, json.dumps(d)

        def renewal_info(method, path, body):
            start, end = self.window
            info = {"suggestedWindow": {"start": utc(start), "end": utc(end)},
                    "explanationURL": "https://ca.test/why"}
            return 200, [("Retry-After", self.retry_after),
                         ("Content-Type", "application/json")], json.dumps(info)

        self.proxy.rewrite("/dir", directory)
        self.proxy.serve("/ari/", renewal_info)

    def renew(self, config, *args):
        result = self.env.dnsacme("renew", "--config", config, "--server",
                                  self.proxy.directory_url, *args)
        self.assertNotIn(self.env.tsig_secret, result.stdout + result.stderr)
        return result

    def config(self, name):
        path = os.path.join(self.out_dir(), "renew.json")
        self.out = self.out_dir()
        with open(path, "w") as f:
            json.dump({"dns": "rfc2136", "agree_tos": True,
                       "certificates": [{"domains": [name], "out": self.out}]}, f)
        return path

    def serial(self):
        with open(os.path.join(self.out, "metadata.json")) as f:
            return json.load(f)["serial"]

    def ari_requests(self):
        return [p for m, p in self.proxy.requests() if p.startswith("/ari/")]

    def forget_next_check(self, name):
        """As if the CA's Retry-After had passed."""
        path = os.path.join(self.env.state_dir, "renew-state", name + ".json")
        with open(path) as f:
            state = json.load(f)
        state["next_check"] = 0
        with open(path, "w") as f:
            json.dump(state, f)

    def test_window(self):
        name = "ari.example.test"
        config = self.config(name)
        first = self.renew(config)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        # A new certificate names nothing it replaces.
        self.assertTrue(all("replaces" not in payload(b) for b in self.proxy.bodies(NEW_ORDER)))
        before = self.serial()

        # A window far ahead: not due, "until" inside it; asked once.
        now = int(time.time())
        self.window = (now + 30 * 86400, now + 31 * 86400)
        self.proxy.clear()
        self.setUp_rules_again()
        result = self.renew(config)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        line = result.stdout.strip()
        self.assertTrue(line.startswith(name + ": not due until "), line)
        until = time.mktime(time.strptime(line.split("until ")[1].split(" ")[0],
                                          "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        self.assertTrue(self.window[0] <= until <= self.window[1], (until, self.window))
        self.assertIn("https://ca.test/why", result.stderr)
        self.assertEqual(len(self.ari_requests()), 1)
        self.assertEqual(self.proxy.bodies(NEW_ORDER), [])

        # Before its Retry-After the CA is not asked again, even though the
        # window moved: the answer kept is used.
        self.window = (now - 7200, now - 3600)
        result = self.renew(config)
        self.assertTrue(result.stdout.startswith(name + ": not due until"), result.stdout)
        self.assertEqual(len(self.ari_requests()), 1)

        # Once it has passed: inside the window, renewed, replacing the old one.
        self.forget_next_check(name)
        result = self.renew(config)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertTrue(result.stdout.startswith(
            name + ": renewed (inside the CA's renewal window)"), result.stdout)
        self.assertEqual(len(self.ari_requests()), 2)
        orders = [payload(b) for b in self.proxy.bodies(NEW_ORDER)]
        self.assertEqual(len(orders), 1)
        self.assertIn(".", orders[0].get("replaces", ""))
        self.assertNotEqual(self.serial(), before)

    def setUp_rules_again(self):
        """clear() dropped the rules; put them back."""
        window, retry = self.window, self.retry_after
        self.setUp()
        self.window, self.retry_after = window, retry

    def test_replaces_refused(self):
        # How many times each is answered: a 403 on the first request with
        # the saved account URL first has the account looked up again (it is
        # the same), and a 503 is retried as any is (4 attempts in all).
        problems = {
            409: (1, {"type": "urn:ietf:params:acme:error:alreadyReplaced",
                      "detail": "already replaced"}),
            403: (2, {"type": "urn:ietf:params:acme:error:unauthorized",
                      "detail": "the certificate belongs to another account"}),
            503: (4, {"type": "urn:ietf:params:acme:error:serverInternal",
                      "detail": "ARI down"}),
        }
        for status, (times, problem) in problems.items():
            with self.subTest(status=status):
                name = "refused%d.example.test" % status
                config = self.config(name)
                self.assertEqual(self.renew(config).returncode, 0)
                before = self.serial()
                now = int(time.time())
                self.window = (now - 7200, now - 3600)
                self.proxy.clear()
                self.setUp_rules_again()
                self.proxy.fail(NEW_ORDER, [(status, [("Content-Type",
                                                       "application/problem+json"),
                                                      ("Retry-After", "0")],
                                             json.dumps(problem))] * times)
                result = self.renew(config)
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertIn("ordering again without replaces", result.stderr)
                orders = [payload(b) for b in self.proxy.bodies(NEW_ORDER)]
                self.assertEqual(len(orders), times + 1, orders)
                self.assertTrue(all("replaces" in o for o in orders[:-1]), orders)
                self.assertNotIn("replaces", orders[-1])
                self.assertNotIn("is not this key's account", result.stderr)
                self.assertNotEqual(self.serial(), before)


if __name__ == "__main__":
    unittest.main()
