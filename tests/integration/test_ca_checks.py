"""What comes from the CA is checked before it is used: a plain-HTTP CA is
refused, a URL weaker than the directory's is not followed, and a
certificate chain that is not exactly the one ordered (other names, another
key, anything but certificates in the PEM) is neither written nor deployed.
A proxy in front of Pebble (tests/fakes/caproxy.py) plays the bad CA."""

import os
import unittest

import harness

NAME = "checked.example.test"


class CAChecksTest(harness.ProxiedTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Two real chains to hand out in place of the one ordered: one for
        # the same name (so: another key), one for other names.
        cls.same_name_chain = cls._issued_chain([NAME])
        cls.other_names_chain = cls._issued_chain(["other.example.test"])


    @classmethod
    def _issued_chain(cls, names):
        out = os.path.join(cls.env.tmp, "chain-" + names[0])
        argv = ["issue", "-q", "--dns", "rfc2136", "--agree-tos", "--out", out]
        for name in names:
            argv += ["-d", name]
        result = cls.env.dnsacme(*argv)
        if result.returncode != 0:
            raise AssertionError("issuing a chain to swap in failed:\n" + result.stderr)
        with open(os.path.join(out, "fullchain.pem")) as f:
            return f.read()

    def issue_through_proxy(self):
        """issue NAME through the proxy with a deploy hook; returns (result,
        out dir, hook marker path)."""
        out = self.out_dir()
        marker = os.path.join(out, "..", os.path.basename(out) + ".deployed")
        result = self.env.dnsacme("issue", "-q", "--dns", "rfc2136", "--agree-tos", "-d", NAME,
                                  "--out", out, "--server", self.proxy.directory_url,
                                  "--deploy-hook", "touch " + marker)
        return result, out, marker

    def assert_refused(self, result, out, marker, words):
        message = self.assert_one_line_error(result)
        self.assertIn(words, message)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(os.listdir(out), [], "something was written to --out")
        self.assertFalse(os.path.exists(marker), "the deploy hook ran")

    def test_the_proxy_itself_is_transparent(self):
        result, out, marker = self.issue_through_proxy()
        self.assertEqual(result.returncode, 0, result.stderr)
        harness.verify_certificate(out, [NAME], "ec256", self.env.pebble_root,
                                   self.proxy.directory_url)
        self.assertTrue(os.path.exists(marker))
        self.assertIn(("GET", "/dir"), self.proxy.requests())

    def change_certificate(self, fn):
        """Pass the certificate download's body through fn; Pebble's other
        answers there (a badNonce at its 5% rate) go through untouched."""
        self.proxy.rewrite("/certZ/", lambda status, headers, body:
                           (status, headers, fn(body.decode()) if status == 200 else body))

    def swap_certificate(self, pem):
        self.change_certificate(lambda body: pem)

    def test_certificate_with_other_names_refused(self):
        self.swap_certificate(self.other_names_chain)
        result, out, marker = self.issue_through_proxy()
        self.assert_refused(result, out, marker, "does not name " + NAME)

    def test_certificate_for_another_key_refused(self):
        self.swap_certificate(self.same_name_chain)
        result, out, marker = self.issue_through_proxy()
        self.assert_refused(result, out, marker, "not for the key")

    def test_chain_with_more_than_certificates_refused(self):
        key = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
        self.change_certificate(lambda body: body + key)
        result, out, marker = self.issue_through_proxy()
        self.assert_refused(result, out, marker, "other than PEM certificates")

    def test_plain_http_url_from_https_ca_not_followed(self):
        https = self.proxy.directory_url.rsplit("/", 1)[0]
        http = https.replace("https://", "http://", 1)

        def downgrade_finalize(status, headers, body):
            text = body.decode().replace(https + "/finalize-order", http + "/finalize-order")
            return status, headers, text

        self.proxy.rewrite("/", downgrade_finalize)  # newOrder and every order poll
        result, out, marker = self.issue_through_proxy()
        self.assert_refused(result, out, marker, "is not HTTPS like its directory")
        self.assertFalse(any(path.startswith("/finalize-order")
                             for _, path in self.proxy.requests()))

    def test_plain_http_ca_refused(self):
        result = self.env.dnsacme("issue", "--dns", "rfc2136", "--agree-tos", "-d", NAME,
                                  "--out", self.out_dir(), "--server",
                                  "http://acme.example.test/directory")
        self.assertIn("is not HTTPS", self.assert_one_line_error(result))


if __name__ == "__main__":
    unittest.main()
