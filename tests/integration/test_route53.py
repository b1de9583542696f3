#!/usr/bin/python3
"""dnsacme --dns route53 against the Route 53 fake (tests/fakes/route53.py),
which verifies SigV4 like AWS and writes the records to the harness's BIND
primary, so Pebble validates for real. One issuance per credential source,
a foreign TXT value that must survive, throttling, and a bad key."""

import json
import os
import sys
import tempfile
import unittest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
import route53  # noqa: E402  (the fake)

ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzEXAMPLEKEY"
APEX = "_acme-challenge.example.test"


class Route53Test(harness.IntegrationTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = route53.FakeRoute53(
            ACCESS_KEY_ID, SECRET, harness.ZONES, dns_server=cls.env.primary,
            tsig=(harness.TSIG_KEY, cls.env.tsig_secret, harness.TSIG_ALGORITHM)).start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        super().tearDownClass()

    def setUp(self):
        self.fake.reset_stats()
        self.home = tempfile.mkdtemp(prefix="home-", dir=self.env.tmp)

    def tearDown(self):
        self.assertEqual(self.fake.challenge_names(), [], "TXT sets left in the fake")
        super().tearDown()

    def aws_env(self, **extra):
        """No AWS settings from the caller's environment; a private HOME; the
        fake as every endpoint; the rfc2136 variables out of the way."""
        env = {k: None for k in os.environ if k.startswith("AWS_")}
        env.update({"HOME": self.home, "AWS_ENDPOINT_URL_ROUTE_53": self.fake.url,
                    "AWS_ENDPOINT_URL_STS": self.fake.url,
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "RFC2136_TSIG_SECRET": None})
        env.update(extra)
        return env

    def keys(self, **extra):
        return self.aws_env(AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET,
                            **extra)

    def run_issue(self, names, env, args=()):
        # A fresh account each time: Pebble may reuse an account's valid
        # authorizations, and then no record would be published at all.
        out = self.out_dir()
        argv = ["issue", "--dns", "route53", "--agree-tos", "--out", out,
                "--state-dir", self.out_dir()]
        for name in names:
            argv += ["-d", name]
        return self.env.dnsacme(*argv, *args, extra_env=env), out

    def issue_route53(self, names, env):
        result, out = self.run_issue(names, env)
        self.assertEqual(result.returncode, 0, "dnsacme issue failed:\n" + result.stderr)
        self.assertNotIn(SECRET, result.stdout + result.stderr)
        return self.env.verify_certificate(out, names, "ec256")

    # -- issuance and call counts ------------------------------------------

    def test_apex_and_wildcard_with_env_keys(self):
        self.issue_route53(["example.test", "*.example.test"], self.keys())
        stats = self.fake.stats()
        # One order, one zone: one lookup, a read and a write to present,
        # a read and a write to clean up, and the GetChange polls.
        self.assertEqual(stats.get("ListHostedZonesByName"), 1, stats)
        self.assertEqual(stats.get("ListResourceRecordSets"), 2, stats)
        self.assertEqual(stats.get("ChangeResourceRecordSets"), 2, stats)
        self.assertGreaterEqual(stats.get("GetChange", 0), 2, stats)
        self.assertEqual(self.env.txt(APEX), [])

    def test_hundred_names_one_zone(self):
        names = ["n%d.example.test" % i for i in range(100)]
        self.issue_route53(names, self.keys())
        stats = self.fake.stats()
        print("\n100 names, Route 53 calls: %s" % stats)
        self.assertEqual(stats.get("ListHostedZonesByName"), 1, stats)
        self.assertEqual(stats.get("ListResourceRecordSets"), 2, stats)
        self.assertEqual(stats.get("ChangeResourceRecordSets"), 2, stats)

    def test_foreign_value_survives_present_and_cleanup(self):
        self.fake.set_txt("example.test", APEX, ["someone-else"])
        try:
            self.issue_route53(["example.test"], self.keys())
            self.assertEqual(self.fake.txt("example.test", APEX), ["someone-else"])
            self.assertEqual(self.env.txt(APEX), ["someone-else"])
        finally:
            self.fake.set_txt("example.test", APEX, [])

    def test_foreign_value_survives_where_route53_order_differs(self):
        """Route 53 lists web-1 before web ('-' < '.' in "com.example.web-1."):
        the plugin's listing must find both sets, or it would overwrite the
        foreign value at web-1 and leave its own values behind."""
        name = "_acme-challenge.web-1.example.test"
        self.fake.set_txt("example.test", name, ["someone-else"])
        try:
            self.issue_route53(["web.example.test", "web-1.example.test"], self.keys())
            self.assertEqual(self.fake.txt("example.test", name), ["someone-else"])
            self.assertEqual(self.env.txt(name), ["someone-else"])
        finally:
            self.fake.set_txt("example.test", name, [])

    def test_throttling_recovers(self):
        self.fake.throttle(3)
        self.issue_route53(["example.test"], self.keys(AWS_MAX_RETRIES="5"))
        self.assertEqual(self.fake.stats()["throttled"], 3)

    def test_prior_request_not_complete_recovers(self):
        self.fake.throttle(2, "PriorRequestNotComplete")
        self.issue_route53(["example.test"], self.keys())
        self.assertEqual(self.fake.stats()["throttled"], 2)

    def test_bad_key_fails_clearly_and_leaves_nothing(self):
        wrong = "Wrong/Secret+Key0000000000000000000000000"
        result, _ = self.run_issue(["example.test"], self.aws_env(
            AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=wrong), args=["-q"])
        self.assertEqual(result.returncode, 1, result.stderr)
        line = self.assert_one_line_error(result, wrong, SECRET)
        self.assertRegex(line, r"^dnsacme: error: route53: ListHostedZonesByName: "
                               r"SignatureDoesNotMatch: .* \(HTTP 403, request id \S+\)$")
        self.assertIsNone(self.fake.stats().get("ChangeResourceRecordSets"))

    def test_present_and_cleanup_commands(self):
        name = "_acme-challenge.manual.example.test"
        for command in ("present", "cleanup"):
            result = self.env.dnsacme(command, "--dns", "route53", "-d", "manual.example.test",
                                      "--value", "manual-value", extra_env=self.keys())
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(self.env.txt(name),
                             ["manual-value"] if command == "present" else [])

    def test_config_file_with_dns_options(self):
        secret_file = os.path.join(self.home, "aws-secret")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        config = os.path.join(self.home, "dnsacme.json")
        with open(config, "w") as f:
            json.dump({"dns": "route53", "dns_options": {
                "access_key_id": ACCESS_KEY_ID, "secret_access_key_file": secret_file,
                "endpoint": self.fake.url, "hosted_zone_id": self.fake.zone("example.test").id,
                "ttl": "30"}}, f)
        out = self.out_dir()
        result = self.env.dnsacme("issue", "--config", config, "-d", "example.test",
                                  "--agree-tos", "--out", out, "--state-dir", self.out_dir(),
                                  extra_env=self.aws_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        self.env.verify_certificate(out, ["example.test"], "ec256")
        # The zone id was given: no lookup.
        self.assertIsNone(self.fake.stats().get("ListHostedZonesByName"))

    # -- credential sources -------------------------------------------------

    def test_shared_credentials_profile(self):
        aws = os.path.join(self.home, ".aws")
        os.mkdir(aws)
        with open(os.path.join(aws, "credentials"), "w") as f:
            f.write("[default]\naws_access_key_id = AKIDNOTTHISONE\n"
                    "aws_secret_access_key = nope\n\n[acme]\n"
                    "aws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (ACCESS_KEY_ID, SECRET))
        self.issue_route53(["example.test"], self.aws_env(AWS_PROFILE="acme"))

    def test_web_identity(self):
        token = os.path.join(self.home, "token")
        with open(token, "w") as f:
            f.write(self.fake.web_identity_token + "\n")
        self.issue_route53(["example.test"], self.aws_env(
            AWS_ROLE_ARN=self.fake.role_arn, AWS_WEB_IDENTITY_TOKEN_FILE=token,
            AWS_REGION="us-east-1"))
        self.assertEqual(self.fake.stats().get("AssumeRoleWithWebIdentity"), 1)

    def test_container_credentials(self):
        token = os.path.join(self.home, "pod-token")
        with open(token, "w") as f:
            f.write(self.fake.container_token)
        self.issue_route53(["example.test"], self.aws_env(
            AWS_CONTAINER_CREDENTIALS_FULL_URI=self.fake.url + "/container/credentials",
            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=token))
        self.assertEqual(self.fake.stats().get("ContainerCredentials"), 1)

    def test_instance_metadata(self):
        self.issue_route53(["example.test"], self.aws_env(
            AWS_EC2_METADATA_DISABLED=None,
            AWS_EC2_METADATA_SERVICE_ENDPOINT=self.fake.url))
        stats = self.fake.stats()
        self.assertEqual(stats.get("IMDSToken"), 1, stats)
        self.assertEqual(stats.get("IMDSCredentials"), 1, stats)

    def test_assume_role(self):
        self.issue_route53(["example.test"], self.keys(AWS_ASSUME_ROLE_ARN=self.fake.role_arn))
        self.assertEqual(self.fake.stats().get("AssumeRole"), 1)

    def test_verbose_log_holds_no_temporary_secret(self):
        token = os.path.join(self.home, "token")
        with open(token, "w") as f:
            f.write(self.fake.web_identity_token)
        env = self.aws_env(AWS_ROLE_ARN=self.fake.role_arn, AWS_WEB_IDENTITY_TOKEN_FILE=token,
                           AWS_ASSUME_ROLE_ARN=self.fake.role_arn)
        result, _ = self.run_issue(["example.test"], env, args=("-v",))
        self.assertEqual(result.returncode, 0, result.stderr)
        stats = self.fake.stats()
        self.assertEqual((stats.get("AssumeRoleWithWebIdentity"), stats.get("AssumeRole")),
                         (1, 1), stats)
        self.assertIn("/2013-04-01/", result.stderr, "-v shows no HTTP exchanges")
        for secret in self.fake.minted_secrets() + [self.fake.web_identity_token]:
            self.assertNotIn(secret, result.stdout + result.stderr)


class FakeRoute53Test(unittest.TestCase):
    """The fake refuses what AWS refuses; checked with botocore's own client."""

    @classmethod
    def setUpClass(cls):
        import botocore.session
        cls.fake = route53.FakeRoute53(ACCESS_KEY_ID, SECRET, ["example.test"]).start()
        cls.session = botocore.session.get_session()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def client(self, key=ACCESS_KEY_ID, secret=SECRET, token=None):
        c = self.session.create_client(
            "route53", region_name="us-east-1", endpoint_url=self.fake.url,
            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
        self.addCleanup(c.close)
        return c

    def error_code(self, call):
        import botocore.exceptions
        with self.assertRaises(botocore.exceptions.ClientError) as caught:
            call()
        return caught.exception.response["Error"]["Code"]

    def test_good_request_and_shapes(self):
        zones = self.client().list_hosted_zones_by_name(DNSName="example.test.")["HostedZones"]
        self.assertEqual([(z["Name"], z["Config"]["PrivateZone"]) for z in zones],
                         [("example.test.", False), ("example.test.", True)])

    def test_wrong_secret(self):
        bad = self.client(secret="not-the-secret")
        self.assertEqual(self.error_code(bad.list_hosted_zones_by_name),
                         "SignatureDoesNotMatch")

    def test_unknown_key(self):
        bad = self.client(key="AKIDUNKNOWN")
        self.assertEqual(self.error_code(bad.list_hosted_zones_by_name),
                         "InvalidClientTokenId")

    def test_temporary_key_needs_its_token(self):
        akid, secret, token, _ = self.fake._mint()
        self.assertEqual(self.error_code(self.client(akid, secret).list_hosted_zones_by_name),
                         "InvalidClientTokenId")
        self.assertTrue(self.client(akid, secret, token).list_hosted_zones_by_name())

    def test_stale_date(self):
        import datetime
        import unittest.mock
        stale = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)

        class Stale(datetime.datetime):
            @classmethod
            def utcnow(cls):
                return stale

        with unittest.mock.patch("botocore.auth.datetime.datetime", Stale):
            code = self.error_code(self.client().list_hosted_zones_by_name)
        self.assertEqual(code, "RequestExpired")

    def test_delete_must_match(self):
        c = self.client()
        zone = c.list_hosted_zones_by_name(DNSName="example.test.")["HostedZones"][0]["Id"]
        rrset = {"Name": "_acme-challenge.x.example.test.", "Type": "TXT", "TTL": 60,
                 "ResourceRecords": [{"Value": '"a"'}]}
        c.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": rrset}]})
        wrong = dict(rrset, TTL=61)
        self.assertEqual(self.error_code(lambda: c.change_resource_record_sets(
            HostedZoneId=zone, ChangeBatch={"Changes": [
                {"Action": "DELETE", "ResourceRecordSet": wrong}]})), "InvalidChangeBatch")
        change = c.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": "DELETE", "ResourceRecordSet": rrset}]})["ChangeInfo"]
        self.assertEqual(change["Status"], "PENDING")
        self.assertEqual(c.get_change(Id=change["Id"])["ChangeInfo"]["Status"], "PENDING")


    def test_delete_and_create_in_one_batch(self):
        """An update as the plugin sends it: DELETE the set as read, CREATE the
        new one. A stale read fails the whole batch; nothing else may name a
        set twice."""
        c = self.client()
        zone = c.list_hosted_zones_by_name(DNSName="example.test.")["HostedZones"][0]["Id"]
        old = {"Name": "_acme-challenge.y.example.test.", "Type": "TXT", "TTL": 60,
               "ResourceRecords": [{"Value": '"a"'}]}
        new = dict(old, ResourceRecords=[{"Value": '"a"'}, {"Value": '"b"'}])

        def batch(*changes):
            return lambda: c.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={
                "Changes": [{"Action": a, "ResourceRecordSet": r} for a, r in changes]})

        batch(("CREATE", old))()
        batch(("DELETE", old), ("CREATE", new))()
        self.assertEqual(self.fake.txt("example.test", old["Name"]), ["a", "b"])
        self.assertEqual(self.error_code(batch(("DELETE", old), ("CREATE", new))),
                         "InvalidChangeBatch")
        self.assertEqual(self.error_code(batch(("UPSERT", new), ("UPSERT", new))),
                         "InvalidChangeBatch")
        batch(("DELETE", new))()

if __name__ == "__main__":
    unittest.main()
