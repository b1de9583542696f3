"""dnsacme --dns alidns end to end: Pebble validates records that the plugin
published through the fake Alibaba Cloud DNS API (tests/fakes/alidns.py),
which checks every signature like the cloud and writes to the BIND primary."""

import json
import os
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
import alidns as fake_alidns  # noqa: E402

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "plugins",
                       "alidns", "tests", "alibaba-rpc-v1-hmac-sha1.json")
VECTORS_V3 = VECTORS.replace("alibaba-rpc-v1-hmac-sha1", "alibaba-v3-acs3-hmac-sha256")

KEY_ID = "LTAI5tFakeAccessKeyId01"
KEY_SECRET = "fakeSecret+With/Signs=0123456789"
STS = ("STS.NUgYrLnoC37mZZCNnAbez", "stsSecret0123456789abcdef", "CAIS+fake/Sts=Token~01")
# The real API answers in a few hundred milliseconds. Without it the whole
# publish can finish within the second in which dnsacme's CNAME lookup made the
# harness resolver cache NXDOMAIN (max-ncache-ttl 0 keeps it to the second's
# end), and Pebble then reads that stale answer.
LATENCY = 0.5
ROLE_ARN = "acs:ram::1234567890123456:role/dnsacme-dns01"
PROVIDER_ARN = "acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0ffee"


class FakeSelfTest(unittest.TestCase):
    """The fake signs like Alibaba's SDKs and refuses what the cloud refuses."""

    def test_fake_reproduces_sdk_vectors(self):
        with open(VECTORS) as f:
            vectors = json.load(f)["vectors"]
        for v in vectors:
            inputs, expected = v["inputs"], v["expected"]
            if "query_params_sent" in expected:
                params = dict(expected["query_params_sent"])
                params.pop("Signature")
            else:
                params = {"AccessKeyId": inputs["access_key_id"], "Action": inputs["action"],
                          "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
                          "SignatureNonce": inputs["signature_nonce"],
                          "SignatureVersion": "1.0", "Timestamp": inputs["timestamp"],
                          "Version": inputs.get("api_version") or "2015-01-09"}
                if inputs.get("security_token"):
                    params["SecurityToken"] = inputs["security_token"]
                params.update(inputs["params"])
            text = fake_alidns.string_to_sign(inputs["http_method"], params)
            if "string_to_sign" in expected:
                self.assertEqual(text, expected["string_to_sign"], v["name"])
            self.assertEqual(fake_alidns.sign(inputs["access_key_secret"], text),
                             expected["signature_base64"], v["name"])

    def test_fake_reproduces_sdk_vectors_v3(self):
        with open(VECTORS_V3) as f:
            vectors = json.load(f)["vectors"]
        for v in vectors:
            inputs, expected = v["inputs"], v["expected"]
            headers = expected["signed_headers_sent"]
            text = fake_alidns.v3_string_to_sign(
                expected["http_method"], expected["query_params"], headers, sorted(headers),
                expected["hashed_payload"])
            self.assertEqual(text, expected["string_to_sign"], v["name"])
            self.assertTrue(expected["authorization"].endswith(
                "Signature=" + fake_alidns.v3_sign(inputs["access_key_secret"], text)), v["name"])

    def _call(self, fake, secret=KEY_SECRET, nonce=None, timestamp=None):
        params = {"Action": "DescribeDomains", "Version": "2015-01-09", "Format": "JSON",
                  "AccessKeyId": KEY_ID, "SignatureMethod": "HMAC-SHA1",
                  "SignatureVersion": "1.0", "SignatureNonce": nonce or os.urandom(16).hex(),
                  "Timestamp": timestamp or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        params["Signature"] = fake_alidns.sign(secret, fake_alidns.string_to_sign("GET", params))
        url = fake.url + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def _call_v3(self, fake, secret=KEY_SECRET):
        query = {"PageSize": "10"}
        headers = {"host": "127.0.0.1:%d" % fake.port, "x-acs-action": "DescribeDomains",
                   "x-acs-version": "2015-01-09", "x-acs-signature-nonce": os.urandom(16).hex(),
                   "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "x-acs-content-sha256": fake_alidns.hashlib.sha256(b"").hexdigest()}
        names = sorted(headers)
        text = fake_alidns.v3_string_to_sign("GET", query, headers, names,
                                             headers["x-acs-content-sha256"])
        headers["Authorization"] = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" \
            % (KEY_ID, ";".join(names), fake_alidns.v3_sign(secret, text))
        req = urllib.request.Request(fake.url + "?PageSize=10", headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as e:
            return e.code, json.load(e)

    def test_fake_checks_v3_signatures(self):
        fake = fake_alidns.FakeAliDNS(KEY_ID, KEY_SECRET, ["example.test"]).start()
        try:
            status, body = self._call_v3(fake)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["PageSize"], 10)
            status, body = self._call_v3(fake, secret="wrong")
            self.assertEqual((status, body["Code"]), (400, "SignatureDoesNotMatch"))
            self.assertEqual(fake.v3_calls(), 1)
        finally:
            fake.stop()

    def test_fake_refuses_what_the_cloud_refuses(self):
        fake = fake_alidns.FakeAliDNS(KEY_ID, KEY_SECRET, ["example.test"]).start()
        try:
            status, body = self._call(fake)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["Domains"]["Domain"][0]["DomainName"], "example.test")
            status, body = self._call(fake, secret="wrong")
            self.assertEqual((status, body["Code"]), (400, "SignatureDoesNotMatch"))
            self.assertIn("server string to sign is:GET&%2F&", body["Message"])
            self.assertEqual(self._call(fake, nonce="n1")[0], 200)
            self.assertEqual(self._call(fake, nonce="n1")[1]["Code"], "SignatureNonceUsed")
            stale = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 16 * 60))
            self.assertEqual(self._call(fake, timestamp=stale)[1]["Code"],
                             "InvalidTimeStamp.Expired")
            fake.fail_next("Throttling.User")
            self.assertEqual(self._call(fake)[1]["Code"], "Throttling.User")
            self.assertEqual(self._call(fake)[0], 200)
        finally:
            fake.stop()


class AliDnsTest(harness.IntegrationTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.token_file = os.path.join(env.tmp, "rrsa-token")
        with open(cls.token_file, "w") as f:
            f.write("eyJhbGciOiJSUzI1NiJ9.fake-oidc-token.sig\n")
        cls.fake = fake_alidns.FakeAliDNS(
            KEY_ID, KEY_SECRET, env.zones, dns_server=env.primary,
            tsig=(harness.TSIG_KEY, env.tsig_secret, harness.TSIG_ALGORITHM),
            sts_credentials=STS,
            oidc={"role_arn": ROLE_ARN, "provider_arn": PROVIDER_ARN,
                  "token_file": cls.token_file},
            latency=LATENCY).start()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        super().tearDownClass()

    def setUp(self):
        self.fake.reset_stats()

    def credentials(self, **extra):
        """The environment of a run: only the alidns variables a test names."""
        env = {"ALICLOUD_ENDPOINT": self.fake.url, "RFC2136_TSIG_SECRET": None}
        env.update(extra)
        return env

    def alidns(self, names, extra_env, args=(), log=("-q",)):
        out = self.out_dir()
        argv = ["issue", *log, "--dns", "alidns", "--agree-tos", "--out", out]
        for name in names:
            argv += ["-d", name]
        return self.env.dnsacme(*argv, *args, extra_env=extra_env), out

    def issue(self, names, extra_env, args=(), left=(), log=("-q",)):
        result, out = self.alidns(names, extra_env, args, log)
        self.assertEqual(result.returncode, 0, "dnsacme issue failed:\n" + result.stderr)
        for secret in (KEY_SECRET, STS[1], STS[2]):
            self.assertNotIn(secret, result.stdout + result.stderr)
        self.env.verify_certificate(out, names, "ec256")
        self.assertEqual([r["Value"] for r in self.fake.list_records()], list(left))
        return result

    def test_apex_and_wildcard(self):
        # As the README's example: the secret from a file.
        secret_file = os.path.join(self.env.tmp, "alidns.secret")
        with open(secret_file, "w") as f:
            f.write(KEY_SECRET + "\n")
        self.issue(["example.test", "*.example.test"],
                   self.credentials(ALICLOUD_ACCESS_KEY=KEY_ID,
                                    ALICLOUD_SECRET_KEY_FILE=secret_file))
        calls = self.fake.stats()
        # Two values at one name: two adds, one listing, two deletes, and one
        # zone listing shared by present and cleanup.
        self.assertEqual(calls.get("AddDomainRecord"), 2, calls)
        self.assertEqual(calls.get("DescribeSubDomainRecords"), 1, calls)
        self.assertEqual(calls.get("DeleteDomainRecord"), 2, calls)
        self.assertEqual(calls.get("DescribeDomains"), 1, calls)

    def test_api_calls_per_order_size(self):
        """One zone listing per order, one record listing per zone, one add
        and one delete per value, whatever the order size."""
        for n in (1, 4, 12):
            self.fake.reset_stats()
            # New names each time: Pebble reuses an account's valid authorizations.
            names = ["n%d-h%d.example.test" % (n, i) for i in range(n)]
            self.issue(names, self.credentials(ALIBABA_CLOUD_ACCESS_KEY_ID=KEY_ID,
                                               ALIBABA_CLOUD_ACCESS_KEY_SECRET=KEY_SECRET))
            calls = self.fake.stats()
            print("alidns API calls for %d names: %s (total %d)"
                  % (n, json.dumps(calls, sort_keys=True), sum(calls.values())),
                  file=sys.stderr)
            listings = calls.get("DescribeSubDomainRecords", 0) + \
                calls.get("DescribeDomainRecords", 0)
            self.assertEqual(calls.get("DescribeDomains"), 1, calls)
            self.assertEqual(listings, 1, calls)
            self.assertEqual(calls.get("AddDomainRecord"), n, calls)
            self.assertEqual(calls.get("DeleteDomainRecord"), n, calls)

    def test_signature_v3(self):
        self.issue(["v3.example.test", "*.v3.example.test"], self.credentials(
            ALICLOUD_ACCESS_KEY=KEY_ID, ALICLOUD_SECRET_KEY=KEY_SECRET),
            ["--dns-option", "signature_version=v3"])
        self.assertEqual(self.fake.v3_calls(), sum(self.fake.stats().values()))

    def test_sts_token(self):
        self.issue(["sts.example.test"], self.credentials(
            ALIBABA_CLOUD_ACCESS_KEY_ID=STS[0], ALIBABA_CLOUD_ACCESS_KEY_SECRET=STS[1],
            ALIBABA_CLOUD_SECURITY_TOKEN=STS[2]))
        self.assertEqual(list(self.fake.key_use()), [STS[0]])

    def test_rrsa(self):
        self.issue(["rrsa.example.test", "*.rrsa.example.test"], self.credentials(
            ALIBABA_CLOUD_ROLE_ARN=ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN=PROVIDER_ARN,
            ALIBABA_CLOUD_OIDC_TOKEN_FILE=self.token_file,
            ALIBABA_CLOUD_STS_ENDPOINT=self.fake.url))
        calls = self.fake.stats()
        # Credentials are cached: one exchange per plugin instance at most.
        self.assertIn(calls.get("AssumeRoleWithOIDC"), (1, 2), calls)
        used = self.fake.key_use()
        self.assertTrue(used and all(k.startswith("STS.") for k in used), used)

    def test_verbose_log_holds_no_secret(self):
        """-v -v logs every request; no key id, secret, token or OIDC token shows,
        neither the configured ones nor those STS hands out for RRSA."""
        verbose = ("-v", "-v")
        runs = [self.issue(["log-ak.example.test"], self.credentials(
                    ALICLOUD_ACCESS_KEY=KEY_ID, ALICLOUD_SECRET_KEY=KEY_SECRET), log=verbose),
                self.issue(["log-rrsa.example.test"], self.credentials(
                    ALIBABA_CLOUD_ROLE_ARN=ROLE_ARN,
                    ALIBABA_CLOUD_OIDC_PROVIDER_ARN=PROVIDER_ARN,
                    ALIBABA_CLOUD_OIDC_TOKEN_FILE=self.token_file,
                    ALIBABA_CLOUD_STS_ENDPOINT=self.fake.url), log=verbose)]
        minted = self.fake.minted_secrets()
        self.assertTrue(minted, "RRSA got no STS credentials")
        with open(self.token_file) as f:
            oidc_token = f.read().strip()
        for result in runs:
            output = result.stdout + result.stderr
            self.assertIn("GET " + self.fake.url, output, "-v -v shows no API request")
            for secret in [KEY_ID, KEY_SECRET, oidc_token] + minted:
                self.assertNotIn(secret, output)

    def test_throttling_recovers(self):
        self.fake.fail_next("Throttling.User", count=2, action="AddDomainRecord",
                            message="Request was denied due to user flow control.")
        self.fake.fail_next("LastOperationNotFinished", count=1, action="DeleteDomainRecord",
                            message="Last operation is not finished,please try again later.")
        self.issue(["throttle.example.test"],
                   self.credentials(ALICLOUD_ACCESS_KEY=KEY_ID, ALICLOUD_SECRET_KEY=KEY_SECRET))
        calls = self.fake.stats()
        self.assertEqual(calls.get("AddDomainRecord"), 3, calls)
        self.assertEqual(calls.get("DeleteDomainRecord"), 2, calls)

    def test_bad_secret(self):
        wrong = "not-the-secret-0123456789"
        # Its own state dir: the failed cleanup stays in that journal, and a
        # later test's run must not replay it into that test's call counts.
        state = os.path.join(self.out_dir(), "state")
        result, _ = self.alidns(["bad.example.test"], self.credentials(
            ALICLOUD_ACCESS_KEY=KEY_ID, ALICLOUD_SECRET_KEY=wrong), ["--state-dir", state])
        line = self.assert_one_line_error(result, wrong, KEY_SECRET, KEY_ID)
        self.assertIn("SignatureDoesNotMatch", line)
        self.assertIn("RequestId", line)
        self.assertEqual(self.fake.list_records(), [])
        self.assertNotIn("AddDomainRecord", self.fake.stats())

    def test_cleanup_keeps_unrelated_value(self):
        name = "_acme-challenge.keep.example.test"
        other = self.fake.add_record("example.test", "_acme-challenge.keep", "someone-else")
        try:
            self.issue(["keep.example.test"], self.credentials(
                ALICLOUD_ACCESS_KEY=KEY_ID, ALICLOUD_SECRET_KEY=KEY_SECRET),
                left=["someone-else"])
            self.assertEqual(self.env.txt(name), ["someone-else"])
        finally:
            self.fake.delete_record(other)

    def test_present_is_idempotent_and_cleanup_exact(self):
        env = self.credentials(ALICLOUD_ACCESS_KEY=KEY_ID, ALICLOUD_SECRET_KEY=KEY_SECRET)
        base = ["--dns", "alidns", "-d", "idem.example.test", "--value", "value-one"]
        for _ in range(2):
            result = self.env.dnsacme("present", *base, extra_env=env)
            self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.env.txt("_acme-challenge.idem.example.test"), ["value-one"])
        result = self.env.dnsacme("cleanup", *base, extra_env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.env.txt("_acme-challenge.idem.example.test"), [])
        self.assertEqual(self.fake.stats().get("AddDomainRecord"), 2)


if __name__ == "__main__":
    unittest.main()
