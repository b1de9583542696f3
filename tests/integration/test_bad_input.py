"""Bad input fails cleanly: non-zero exit, one line "dnsacme: error: ..." that
names the problem, no secret in the output, no record left behind."""

import socket
import unittest

import harness


class BadInputTest(harness.IntegrationTestCase):

    def run_issue(self, *args, extra_env=None):
        return self.env.dnsacme("issue", "-q", "--agree-tos", "--out", self.out_dir(), *args,
                                extra_env=extra_env)

    def test_unknown_plugin(self):
        result = self.run_issue("--dns", "nosuchdns", "-d", "x.example.test")
        self.assertIn("nosuchdns", self.assert_one_line_error(result))

    def test_plugin_name_is_not_a_path(self):
        result = self.run_issue("--dns", "../rfc2136", "-d", "x.example.test")
        self.assert_one_line_error(result)

    def test_missing_option_names_its_variable(self):
        result = self.run_issue("--dns", "rfc2136", "-d", "x.example.test",
                                extra_env={"RFC2136_NAMESERVER": None})
        self.assertIn("RFC2136_NAMESERVER", self.assert_one_line_error(result))

    def test_unreachable_ca(self):
        # A bound but not listening socket: connections to it are refused.
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            url = "https://127.0.0.1:%d/dir" % closed.getsockname()[1]
            result = self.run_issue("--dns", "rfc2136", "-d", "x.example.test",
                                    "--server", url)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assert_one_line_error(result)

    def test_ca_problem_document(self):
        result = self.run_issue("--dns", "rfc2136", "-d", "www." + harness.BLOCKED_DOMAIN)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("rejectedIdentifier", self.assert_one_line_error(result))

    def test_tsig_rejected(self):
        wrong = "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC13cm9uZyE="
        result = self.run_issue("--dns", "rfc2136", "-d", "tsig.example.test",
                                extra_env={"RFC2136_TSIG_SECRET": wrong})
        self.assertEqual(result.returncode, 1, result.stderr)
        message = self.assert_one_line_error(result, wrong)
        self.assertRegex(message, r"(?i)tsig|badsig|notauth")
        self.assertEqual(self.env.txt("_acme-challenge.tsig.example.test"), [])

    def test_invalid_dns_names(self):
        for name in ("bad..example.test", "exa mple.test", "*.*.example.test",
                     "a" * 64 + ".example.test", "-lead.example.test"):
            with self.subTest(name=name):
                result = self.run_issue("--dns", "rfc2136", "-d", name)
                self.assertIn(name, self.assert_one_line_error(result))


if __name__ == "__main__":
    unittest.main()
