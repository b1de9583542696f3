"""`dnsacme renew` against Pebble + BIND9: a config of three certificates
issued, then left alone while not due, then renewed with the same account;
one broken certificate failing alone; a killed run rerun; the records
`issue` left renewed by a bare `renew`; the metrics textfile."""

import json
import os
import signal
import time
import unittest

import harness

FAR = "100000"  # --renew-before days: more than any certificate's lifetime


def serial(out):
    with open(os.path.join(out, "metadata.json")) as f:
        return json.load(f)["serial"]


def metrics(path):
    """{(metric, labels): value} of a Prometheus textfile."""
    samples = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            key, value = line.rsplit(" ", 1)
            name, _, labels = key.partition("{")
            samples[(name, labels.rstrip("}"))] = float(value)
    return samples


class RenewTest(harness.IntegrationTestCase):

    def write_config(self, certificates, **top):
        path = os.path.join(self.out_dir(), "renew.json")
        config = {"dns": "rfc2136", "agree_tos": True, "certificates": certificates}
        config.update(top)
        with open(path, "w") as f:
            json.dump(config, f)
        return path

    def renew(self, *args, **kwargs):
        result = self.env.dnsacme("renew", *args, **kwargs)
        self.assertNotIn(self.env.tsig_secret, result.stdout + result.stderr)
        return result

    def lines(self, result):
        return {line.split(":", 1)[0]: line.split(":", 1)[1].strip()
                for line in result.stdout.splitlines()}

    def test_three_certificates(self):
        outs = [self.out_dir() for _ in range(3)]
        hooks = os.path.join(self.env.tmp, "hooks.log")
        posts = os.path.join(self.env.tmp, "post.log")
        textfile = os.path.join(self.out_dir(), "dnsacme.prom")
        config = self.write_config([
            {"domains": ["one.example.test", "*.one.example.test"], "out": outs[0]},
            {"domains": ["two.example.test"], "out": outs[1], "key_type": "rsa2048"},
            {"name": "three", "domains": ["three.example.test"], "out": outs[2],
             "deploy_hook": "echo \"$RENEWED_LINEAGE $RENEWED_DOMAINS\" >> " + hooks},
        ])
        args = ["--config", config, "--metrics-textfile", textfile,
                "--post-hook", "echo \"$RENEWED_DOMAINS\" >> " + posts]

        first = self.renew(*args)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        lines = self.lines(first)
        for name in ("one.example.test", "two.example.test", "three"):
            self.assertTrue(lines[name].startswith("renewed (no certificate yet)"), lines)
        self.env.verify_certificate(outs[0], ["one.example.test", "*.one.example.test"], "ec256")
        self.env.verify_certificate(outs[1], ["two.example.test"], "rsa2048")
        self.env.verify_certificate(outs[2], ["three.example.test"], "ec256")
        with open(hooks) as f:
            self.assertEqual(f.read(), "%s three.example.test\n" % outs[2])
        with open(posts) as f:
            posted = f.read().split()
        self.assertEqual(sorted(posted), sorted(["one.example.test", "*.one.example.test",
                                                 "two.example.test", "three.example.test"]))
        m = metrics(textfile)
        self.assertEqual(m[("dnsacme_renew_certificates", 'outcome="renewed"')], 3)
        self.assertGreater(m[("dnsacme_certificate_expiry_timestamp_seconds",
                              'name="two.example.test"')], time.time() + 86400)
        self.assertIn(("dnsacme_certificate_last_success_timestamp_seconds",
                       'name="one.example.test"'), m)
        serials = [serial(o) for o in outs]

        # Not due: nothing ordered, no hook, outputs untouched.
        orders = len(self.env.pebble_validations())
        second = self.renew(*args)
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        for line in self.lines(second).values():
            self.assertTrue(line.startswith("not due until "), second.stdout)
        self.assertEqual([serial(o) for o in outs], serials)
        self.assertEqual(len(self.env.pebble_validations()), orders)
        with open(hooks) as f:
            self.assertEqual(len(f.readlines()), 1)
        with open(posts) as f:
            self.assertEqual(len(f.readlines()), 1)
        self.assertEqual(metrics(textfile)[("dnsacme_renew_certificates",
                                            'outcome="not_due"')], 3)

        # A dry run says what is due and changes nothing.
        dry = self.renew(*args, "--renew-before", FAR, "--dry-run", "--json")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        summary = json.loads(dry.stdout)
        self.assertEqual([c["outcome"] for c in summary], ["due"] * 3)
        self.assertEqual(summary[0]["reason"], "within --renew-before")
        self.assertEqual([serial(o) for o in outs], serials)

        # Past the lifetime: all renewed, with the one account.
        third = self.renew(*args, "--renew-before", FAR, "--parallel", "2")
        self.assertEqual(third.returncode, 0, third.stdout + third.stderr)
        self.assertTrue(all(s != serial(o) for s, o in zip(serials, outs)))
        accounts = os.path.join(self.env.state_dir, "accounts")
        self.assertEqual(len(os.listdir(accounts)), 1)
        with open(hooks) as f:
            self.assertEqual(len(f.readlines()), 2)

    def test_one_fails_the_others_renew(self):
        good = self.out_dir()
        config = self.write_config([
            {"domains": ["nowhere.unserved.test"]},
            {"domains": ["good.example.test"], "out": good},
        ])
        result = self.renew("--config", config, "--propagation-timeout", "20")
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        lines = self.lines(result)
        self.assertTrue(lines["nowhere.unserved.test"].startswith("failed: "), result.stdout)
        self.assertTrue(lines["good.example.test"].startswith("renewed"), result.stdout)
        self.env.verify_certificate(good, ["good.example.test"], "ec256")

    def test_killed_then_rerun(self):
        names = ["kill%d.example.test" % i for i in range(3)]
        outs = [self.out_dir() for _ in names]
        config = self.write_config([{"domains": [n], "out": o} for n, o in zip(names, outs)])
        run = self.env.dnsacme_start("renew", "--config", config)
        harness.wait_for(lambda: self.env.challenge_txt_records() or not run.running(),
                         timeout=60)
        os.kill(run.proc.pid, signal.SIGKILL)
        run.wait(10)
        # The workers stop with it and remove what they published.
        harness.wait_for(lambda: not self.env.challenge_txt_records(), timeout=60)
        # Pebble's resolver keeps an answer up to a second: the killed run's
        # NXDOMAIN must not be what the rerun's validation sees.
        time.sleep(1.1)
        rerun = self.renew("--config", config)
        self.assertEqual(rerun.returncode, 0, rerun.stdout + rerun.stderr)
        for name, out in zip(names, outs):
            self.env.verify_certificate(out, [name], "ec256")

    def test_records_renewed_by_a_bare_renew(self):
        state = self.out_dir()
        info, _ = self.issue(["record.example.test", "*.record.example.test"],
                             key_type="ec384", args=["--state-dir", state])
        before = serial(info["out"])
        due = self.renew("--state-dir", state, "--dry-run")
        self.assertEqual(due.returncode, 0, due.stderr)
        self.assertTrue(self.lines(due)["record.example.test"].startswith("not due until"))
        result = self.renew("--state-dir", state, "--renew-before", FAR)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertNotEqual(serial(info["out"]), before)
        self.env.verify_certificate(info["out"], ["record.example.test",
                                                  "*.record.example.test"], "ec384")
        # A damaged record fails that certificate alone, naming the file.
        with open(os.path.join(state, "renewal", "damaged.example.test.json"), "w") as f:
            f.write("{not json")
        result = self.renew("--state-dir", state)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        lines = self.lines(result)
        self.assertIn("renewal/damaged.example.test.json", lines["damaged.example.test"])
        self.assertTrue(lines["record.example.test"].startswith("not due until"))

    def test_readme_example(self):
        """conf/renew.example.json, as the README shows it, dry-run."""
        example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                               "conf", "renew.example.json")
        result = self.renew("--config", example, "--dry-run", "--state-dir", self.out_dir())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(self.lines(result), {
            "example.com": "due: no certificate yet",
            "gateway.internal.example.com": "due: no certificate yet",
            "mail": "due: no certificate yet",
        })

    def test_bad_input(self):
        bad = self.write_config([{"domains": ["x.example.test"], "colour": "red"}])
        result = self.renew("--config", bad)
        line = self.assert_one_line_error(result)
        self.assertIn("certificates[0]: unknown key 'colour'", line)
        result = self.renew("--parallel", "0")
        self.assertIn("--parallel must be 1 to 64", self.assert_one_line_error(result))
        empty = self.renew("--state-dir", self.out_dir())
        self.assertEqual(empty.returncode, 0)
        self.assertIn("nothing to renew", empty.stderr)


if __name__ == "__main__":
    unittest.main()
