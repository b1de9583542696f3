"""The same issuance with the settings given every other way: --dns-option,
NAME_FILE variables, a tsig-keygen key file, a JSON --config; and the deploy
hook, which runs once the files are in place."""

import json
import os
import unittest

import harness

# Without these, only what the test passes can configure the plugin.
NO_RFC2136_ENV = {"RFC2136_NAMESERVER": None, "RFC2136_TSIG_KEY": None,
                  "RFC2136_TSIG_SECRET": None, "RFC2136_TSIG_ALGORITHM": None}


class OptionsTest(harness.IntegrationTestCase):

    def write(self, name, text, mode=0o600):
        path = os.path.join(self.out_dir(), name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        return path

    def test_dns_options_on_the_command_line(self):
        self.issue(["opt-flags.example.test"], extra_env=NO_RFC2136_ENV, args=[
            "--dns-option", "nameserver=%s:53" % self.env.primary,
            "--dns-option", "tsig_key=" + harness.TSIG_KEY,
            "--dns-option", "tsig_secret=" + self.env.tsig_secret,
            "--dns-option", "tsig_algorithm=" + harness.TSIG_ALGORITHM])

    def test_secret_from_a_file_variable(self):
        secret_file = self.write("tsig.secret", self.env.tsig_secret + "\n")
        self.issue(["opt-file.example.test"], extra_env={
            "RFC2136_TSIG_SECRET": None, "RFC2136_TSIG_SECRET_FILE": secret_file})

    def test_tsig_keygen_key_file(self):
        key_file = self.write("acme-update.key", 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n'
                              % (harness.TSIG_KEY, harness.TSIG_ALGORITHM,
                                 self.env.tsig_secret))
        self.issue(["opt-keyfile.example.test"], extra_env=dict(
            NO_RFC2136_ENV, RFC2136_NAMESERVER=self.env.primary, RFC2136_TSIG_FILE=key_file))

    def test_json_config_file(self):
        secret_file = self.write("tsig.secret", self.env.tsig_secret)
        config = self.write("dnsacme.json", json.dumps({
            "agree_tos": True,
            "dns": "rfc2136",
            "dns_options": {"nameserver": self.env.primary, "tsig_key": harness.TSIG_KEY,
                            "tsig_algorithm": harness.TSIG_ALGORITHM,
                            "tsig_secret_file": secret_file},
            "key_type": "ec384",
        }))
        out = self.out_dir()
        result = self.env.dnsacme("issue", "--config", config, "-d", "opt-config.example.test",
                                  "--out", out, extra_env=NO_RFC2136_ENV)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.env.verify_certificate(out, ["opt-config.example.test"], "ec384")

    def test_deploy_hook_sees_the_new_files(self):
        seen = os.path.join(self.out_dir(), "seen.pem")
        out = self.out_dir()
        hook = "cp '%s/fullchain.pem' '%s'" % (out, seen)
        result = self.env.dnsacme("issue", "--dns", "rfc2136", "--agree-tos",
                                  "-d", "opt-hook.example.test", "--out", out,
                                  "--deploy-hook", hook)
        self.assertEqual(result.returncode, 0, result.stderr)
        with open(seen) as got, open(os.path.join(out, "fullchain.pem")) as want:
            self.assertEqual(got.read(), want.read())

    def test_deploy_hook_does_not_run_on_failure(self):
        marker = os.path.join(self.out_dir(), "hook-ran")
        result = self.env.dnsacme("issue", "-q", "--dns", "rfc2136", "--agree-tos",
                                  "-d", "www." + harness.BLOCKED_DOMAIN,
                                  "--out", self.out_dir(), "--deploy-hook", "touch " + marker)
        self.assert_one_line_error(result)
        self.assertFalse(os.path.exists(marker))


if __name__ == "__main__":
    unittest.main()
