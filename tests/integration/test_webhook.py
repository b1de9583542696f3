"""`dnsacme webhook` played by kube-apiserver's aggregator: HTTPS with a
front-proxy client certificate from a throwaway CA, the fixtures of
tests/data/webhook replayed, the records checked in the real BIND9 primary and
secondary (rfc2136) and through the alidns and route53 fakes; Secrets and the
extension-apiserver-authentication ConfigMap from the Kubernetes API fake."""

import base64
import copy
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
import alidns as fake_alidns  # noqa: E402
import kubeapi  # noqa: E402
import route53 as fake_route53  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "webhook")
GROUP = "acme.example.com"
TOKEN = "webhook-sa-token-8d2c"
ALI_ID, ALI_SECRET = "LTAIwebhookTestKey01", "alidnsWebhookSecretValue0123456"
AWS_ID, AWS_SECRET = "AKIAWEBHOOKTEST00001", "route53WebhookSecretValue/0123456789abc"
USER = "system:serviceaccount:cert-manager:cert-manager"


def fixture(name):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)


def b64(text):
    return base64.b64encode(text.encode()).decode()


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_ca(d, name):
    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + name)
    return key, cert


def make_cert(d, name, ca, cn, ext):
    key, csr, cert = (os.path.join(d, name + s) for s in (".key", ".csr", ".crt"))
    extfile = os.path.join(d, name + ".ext")
    with open(extfile, "w") as f:
        f.write(ext + "\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=" + cn)
    openssl("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial",
            "-days", "2", "-extfile", extfile, "-out", cert)
    return key, cert


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebhookTest(harness.IntegrationTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.pki = tempfile.mkdtemp(prefix="webhook-pki-", dir=env.tmp)
        cls.serving_ca = make_ca(cls.pki, "serving-ca")
        cls.serving = make_cert(cls.pki, "serving", cls.serving_ca, "dnsacme-webhook",
                                "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                "extendedKeyUsage=serverAuth")
        cls.proxy_ca = make_ca(cls.pki, "front-proxy-ca")
        cls.proxy = make_cert(cls.pki, "front-proxy-client", cls.proxy_ca, "front-proxy-client",
                              "extendedKeyUsage=clientAuth")
        cls.intruder = make_cert(cls.pki, "intruder", cls.proxy_ca, "intruder",
                                 "extendedKeyUsage=clientAuth")
        cls.other_ca = make_ca(cls.pki, "other-ca")
        cls.stranger = make_cert(cls.pki, "stranger", cls.other_ca, "front-proxy-client",
                                 "extendedKeyUsage=clientAuth")
        tsig = (harness.TSIG_KEY, env.tsig_secret, harness.TSIG_ALGORITHM)
        cls.alidns = fake_alidns.FakeAliDNS(ALI_ID, ALI_SECRET, env.zones,
                                            dns_server=env.primary, tsig=tsig).start()
        cls.route53 = fake_route53.FakeRoute53(AWS_ID, AWS_SECRET, harness.ZONES,
                                               dns_server=env.primary, tsig=tsig).start()
        cls.api = kubeapi.FakeKubeAPI(env._tls_cert, env._tls_key, {TOKEN: ("webhook", None)})
        cls.api.start()
        with open(cls.proxy_ca[1]) as f:
            proxy_ca_pem = f.read()
        cls.api.put_object("configmaps", "kube-system", {
            "metadata": {"name": "extension-apiserver-authentication"},
            "data": {"requestheader-client-ca-file": proxy_ca_pem,
                     "requestheader-allowed-names": '["front-proxy-client"]',
                     "requestheader-username-headers": '["X-Remote-User"]',
                     "requestheader-group-headers": '["X-Remote-Group"]',
                     "requestheader-extra-headers-prefix": '["X-Remote-Extra-"]'}})
        for ns in ("cert-manager", "apps"):
            cls.api.put_object("secrets", ns, {
                "metadata": {"name": "tsig-secret"},
                "data": {"tsig-secret-key": b64(env.tsig_secret + "\n")}})
            cls.api.put_object("secrets", ns, {
                "metadata": {"name": "alidns-credentials"},
                "data": {"access-key-id": b64(ALI_ID), "access-key-secret": b64(ALI_SECRET)}})
            cls.api.put_object("secrets", ns, {
                "metadata": {"name": "route53-credentials"},
                "data": {"access-key-id": b64(AWS_ID), "secret-access-key": b64(AWS_SECRET)}})
        cls.kubeconfig = os.path.join(cls.pki, "kubeconfig")
        with open(env.tls_ca, "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        with open(cls.kubeconfig, "w") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                    "    server: %s\n    certificate-authority-data: %s\nusers:\n- name: u\n"
                    "  user: {token: %s}\ncontexts:\n- name: x\n  context: {cluster: c, "
                    "user: u}\ncurrent-context: x\n" % (cls.api.url, ca, TOKEN))
        cls.port = free_port()
        cls.server = cls.start_server()

    @classmethod
    def _argv(cls):
        return ["webhook", "--group-name", GROUP, "--secure-port", str(cls.port),
                "--bind-address", "127.0.0.1", "--tls-cert-file", cls.serving[1],
                "--tls-private-key-file", cls.serving[0], "--kubeconfig", cls.kubeconfig,
                "--allow-config-endpoints", "--v=2", "--authentication-tolerate-lookup-failure"]

    @classmethod
    def start_server(cls, *extra, argv=None):
        # The plugins as an installed webhook finds them: beside its binary.
        server = cls.env.dnsacme_start(*((argv or cls._argv()) + list(extra)),
                                       extra_env={"DNSACME_PLUGIN_DIR": None})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and server.running():
            try:
                if cls.get_status("/readyz", cert=None)[0] == 200:
                    return server
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("the webhook did not become ready:\n" + server.output()[1])

    @classmethod
    def tearDownClass(cls):
        cls.server.proc.send_signal(signal.SIGTERM)
        cls.server.wait(20)
        for fake in (cls.alidns, cls.route53, cls.api):
            fake.stop()
        super().tearDownClass()

    def tearDown(self):
        self.assertTrue(self.server.running(), self.server.output()[1])
        super().tearDown()

    # -- the aggregator's side ----------------------------------------------

    @classmethod
    def connect(cls, cert):
        context = ssl.create_default_context(cafile=cls.serving_ca[1])
        if cert is not None:
            context.load_cert_chain(cert[1], cert[0])
        return http.client.HTTPSConnection("127.0.0.1", cls.port, context=context, timeout=40)

    @classmethod
    def get_status(cls, path, cert=None):
        conn = cls.connect(cert if cert != "proxy" else cls.proxy)
        try:
            conn.request("GET", path, headers={"X-Remote-User": "system:kube-aggregator"})
            reply = conn.getresponse()
            return reply.status, reply.read().decode(), reply.getheader("Content-Type")
        finally:
            conn.close()

    def call(self, solver, payload, cert="proxy", body=None, headers=None):
        """POST to solver; (status, parsed JSON or text)."""
        conn = self.connect(self.proxy if cert == "proxy" else cert)
        all_headers = {"Content-Type": "application/json", "X-Remote-User": USER,
                       "X-Remote-Group": "system:serviceaccounts"}
        all_headers.update(headers or {})
        try:
            conn.request("POST", "/apis/%s/v1alpha1/%s" % (GROUP, solver),
                         body=body if body is not None else json.dumps(payload),
                         headers=all_headers)
            reply = conn.getresponse()
            text = reply.read().decode()
        finally:
            conn.close()
        try:
            return reply.status, json.loads(text)
        except ValueError:
            return reply.status, text

    def request(self, action, name, key, config, solver_ns="cert-manager", ambient=False,
                typed=False, fqdn=None):
        payload = fixture("present-request-typed.json" if typed else "present-request.json")
        r = payload["request"]
        r.update({"action": action, "dnsName": name, "key": key,
                  "resolvedFQDN": fqdn or "_acme-challenge.%s." % name,
                  "resolvedZone": "example.test.", "resourceNamespace": solver_ns,
                  "allowAmbientCredentials": ambient, "config": config})
        return payload

    def rfc2136_config(self):
        config = fixture("config-rfc2136.json")
        config["nameserver"] = self.env.primary
        config["tsigKeyName"] = harness.TSIG_KEY
        return config

    def assert_success(self, answer):
        status, body = answer
        self.assertEqual(status, 201, body)
        self.assertEqual(body["kind"], "ChallengePayload")
        self.assertTrue(body["response"]["success"], body["response"])
        return body

    def assert_failure(self, answer, *words):
        status, body = answer
        self.assertEqual(status, 201, body)
        message = body["response"]["status"]["message"]
        self.assertFalse(body["response"]["success"])
        self.assertTrue(message)
        for word in words:
            self.assertIn(word, message)
        self.assertEqual(len(message.splitlines()), 1)
        return message

    def oversized(self):
        """The status for a 2 MiB body, announced and not sent."""
        conn = self.connect(self.proxy)
        try:
            conn.putrequest("POST", "/apis/%s/v1alpha1/rfc2136" % GROUP)
            for name, value in (("Content-Type", "application/json"),
                                ("Content-Length", str(2 * 1024 * 1024)),
                                ("X-Remote-User", USER)):
                conn.putheader(name, value)
            conn.endheaders()
            return conn.getresponse().status
        finally:
            conn.close()

    def assert_no_secrets(self):
        logs = "".join(self.server.output())
        for secret in (self.env.tsig_secret, ALI_SECRET, AWS_SECRET, TOKEN):
            self.assertNotIn(secret, logs)

    # -- discovery and health -----------------------------------------------

    def test_discovery_and_health(self):
        status, body, ctype = self.get_status("/apis/%s/v1alpha1" % GROUP, cert="proxy")
        self.assertEqual((status, ctype), (200, "application/json"))
        doc = json.loads(body)
        want = fixture("discovery-group-version.json")
        self.assertEqual(doc["groupVersion"], want["groupVersion"])
        by_name = lambda d: sorted(d["resources"], key=lambda r: r["name"])  # noqa: E731
        self.assertEqual(by_name(doc), by_name(want))
        self.assertEqual({k: v for k, v in doc.items() if k != "resources"},
                         {k: v for k, v in want.items() if k != "resources"})
        apis = json.loads(self.get_status("/apis", cert="proxy")[1])
        self.assertEqual(apis, fixture("discovery-apis.json"))
        group = json.loads(self.get_status("/apis/" + GROUP, cert="proxy")[1])
        self.assertEqual(group, fixture("discovery-group.json"))
        self.assertEqual(self.get_status("/openapi/v2", cert="proxy")[0], 404)
        self.assertEqual(self.get_status("/openapi/v3", cert="proxy")[0], 404)
        for path in ("/healthz", "/livez", "/readyz"):
            self.assertEqual(self.get_status(path, cert=None)[:2], (200, "ok"))
        self.assertEqual(self.get_status("/apis/%s/v1alpha1" % GROUP, cert=None)[0], 401)
        status, body, _ = self.get_status("/nothing", cert="proxy")
        self.assertEqual((status, json.loads(body)["reason"]), (404, "NotFound"))

    # -- rfc2136 through BIND -----------------------------------------------

    def test_rfc2136_apex_and_wildcard(self):
        name, config = "hook.example.test", self.rfc2136_config()
        fqdn = "_acme-challenge." + name
        keys = ["lCM7cZyQXcVHK2nnW3jjAhNT3Fvm18UN-kWZZknKoYM",
                "Q3pEgaPTf-ffbfSBm8_tUkXGLY8NWj4vqTuIT9pTeYA"]
        self.assert_success(self.call("rfc2136", self.request("Present", name, keys[0], config)))
        self.assert_success(self.call("rfc2136", self.request("Present", name, keys[0], config)))
        self.assertEqual(self.env.txt(fqdn), [keys[0]], "Present is idempotent")
        body = self.assert_success(self.call("rfc2136", self.request("Present", name, keys[1],
                                                                     config, typed=True)))
        self.assertEqual(body["response"]["uid"],
                         fixture("present-request-typed.json")["request"]["uid"])
        self.env.sync_secondary()
        self.assertEqual(sorted(self.env.txt(fqdn)), sorted(keys))
        self.assertEqual(sorted(self.env.txt(fqdn, server="secondary")), sorted(keys))
        self.assert_success(self.call("rfc2136", self.request("CleanUp", name, keys[0], config)))
        self.assertEqual(self.env.txt(fqdn), [keys[1]], "the other value stays")
        self.assert_success(self.call("rfc2136", self.request("CleanUp", name, keys[0], config)))
        self.assert_success(self.call("rfc2136", self.request("CleanUp", name, keys[1], config)))
        self.assertEqual(self.env.txt(fqdn), [])
        self.assert_no_secrets()

    def test_presents_together_are_one_update(self):
        config = self.rfc2136_config()
        names = ["together.example.test"] * 2
        keys = ["a" * 43, "b" * 43]
        before = self.env.incoming_updates()
        results = [None, None]

        def present(i):
            results[i] = self.call("rfc2136", self.request("Present", names[i], keys[i], config))
        threads = [threading.Thread(target=present, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            self.assert_success(r)
        self.assertEqual(self.env.incoming_updates() - before, 1, "one UPDATE for the pair")
        for key in keys:
            self.assert_success(self.call("rfc2136", self.request("CleanUp", names[0], key,
                                                                  config)))

    def test_cname_followed_and_ambient_environment(self):
        payload = fixture("present-request-cname-followed.json")
        r = payload["request"]
        r.update({"resolvedFQDN": "_acme-challenge.cname.validation.test.",
                  "resolvedZone": "validation.test.", "resourceNamespace": "apps",
                  "allowAmbientCredentials": False,
                  "config": {"nameserver": self.env.primary, "tsigKeyName": harness.TSIG_KEY}})
        # Without its secret the UPDATE goes unsigned: the server's own
        # RFC2136_TSIG_SECRET is not the Issuer's to use.
        self.assert_failure(self.call("rfc2136", payload), "rfc2136")
        self.assertEqual(self.env.txt("_acme-challenge.cname.validation.test"), [])
        r["allowAmbientCredentials"] = True
        r["config"]["tsigAlgorithm"] = "HMACSHA256"
        self.assert_success(self.call("rfc2136", payload))
        self.assertEqual(self.env.txt("_acme-challenge.cname.validation.test"), [r["key"]])
        r["action"] = "CleanUp"
        self.assert_success(self.call("rfc2136", payload))

    # -- alidns and route53 through their fakes ------------------------------

    def test_alidns_dialects(self):
        dialects = {
            "config-alidns.json": {},
            "config-alidns-compat-pragkent.json": {"alidns-secret": {
                "access-key": ALI_ID, "secret-key": ALI_SECRET}},
            "config-alidns-compat-wjiec.json": {"alidns-secret": {
                "access-key-id": ALI_ID, "access-key-secret": ALI_SECRET}},
            "config-alidns-compat-devmachine.json": {"alidns-secrets": {
                "access-token": ALI_ID, "secret-key": ALI_SECRET}},
        }
        for i, (name, secrets) in enumerate(sorted(dialects.items())):
            for secret, data in secrets.items():
                self.api.put_object("secrets", "cert-manager", {
                    "metadata": {"name": secret},
                    "data": {k: b64(v) for k, v in data.items()}})
            config = fixture(name)
            config["endpoint"] = self.alidns.url
            config.pop("zoneName", None)
            config["ttl"] = 600
            host = "ali%d.example.test" % i
            key = ("k%d" % i) * 10 + "xyz"
            for solver in ("alidns", "alidns-solver"):
                self.assert_success(self.call(solver, self.request("Present", host, key,
                                                                   config)))
            self.assertEqual(self.env.txt("_acme-challenge." + host), [key], name)
            self.assert_success(self.call("alidns", self.request("CleanUp", host, key, config)))
            self.assertEqual(self.env.txt("_acme-challenge." + host), [], name)
        self.assert_no_secrets()

    def test_alidns_ambiguous_and_swapped_keys(self):
        config = {"endpoint": self.alidns.url,
                  "accessKeySecretRef": {"name": "alidns-credentials", "key": "access-key-id"}}
        self.assert_failure(self.call("alidns", self.request("Present", "amb.example.test",
                                                             "x" * 43, config)),
                            "accessKeySecretRef alone is ambiguous")
        swapped = {"endpoint": self.alidns.url,
                   "accessKeyIDSecretRef": {"name": "alidns-credentials",
                                            "key": "access-key-secret"},
                   "accessKeySecretSecretRef": {"name": "alidns-credentials",
                                                "key": "access-key-id"}}
        self.assert_failure(self.call("alidns", self.request("Present", "amb.example.test",
                                                             "x" * 43, swapped)),
                            "look swapped")

    def test_route53(self):
        config = fixture("config-route53.json")
        config.pop("role")
        config.pop("hostedZoneID")
        config["endpoint"] = self.route53.url
        host, key = "r53.example.test", "r" * 43
        self.assert_success(self.call("route53", self.request("Present", host, key, config)))
        self.assertEqual(self.env.txt("_acme-challenge." + host), [key])
        self.assert_success(self.call("route53", self.request("CleanUp", host, key, config)))
        self.assertEqual(self.env.txt("_acme-challenge." + host), [])
        self.assert_no_secrets()

    # -- who may call ----------------------------------------------------------

    def test_unauthenticated_callers_get_401_and_publish_nothing(self):
        payload = self.request("Present", "auth.example.test", "u" * 43, self.rfc2136_config())
        for cert in (None, self.stranger, self.intruder):
            status, body = self.call("rfc2136", payload, cert=cert)
            self.assertEqual((status, body["reason"]), (401, "Unauthorized"), cert)
        status, body = self.call("rfc2136", payload, headers={"X-Remote-User": ""})
        self.assertEqual(status, 401, "no user in the headers")
        self.assertEqual(self.env.txt("_acme-challenge.auth.example.test"), [])

    # -- bad input ---------------------------------------------------------------

    def test_bad_requests_fail_clearly_and_the_server_goes_on(self):
        base = self.rfc2136_config()
        cases = [
            (dict(base, tsigSecretSecretRef={"name": "missing", "key": "k"}),
             "Secret cert-manager/missing not found"),
            (dict(base, tsigSecretSecretRef={"name": "tsig-secret", "key": "nope"}),
             "Secret cert-manager/tsig-secret has no key nope"),
            (dict(base, tsigSecret="inline"), "config.tsigSecret is a secret"),
            (dict(base, colour="blue", flavour=1), "unknown keys for solver rfc2136: colour, "
                                                    "flavour"),
            (dict(base, tsigAlgorithm="ROT13"), "tsigAlgorithm"),
            (dict(base, tsigSecretSecretRef={"name": "../x", "key": "k"}),
             "a Secret name, not NAMESPACE/NAME"),
            (dict(base, tsigSecretSecretRef={"name": "Bad_Name", "key": "k"}), "config Secret"),
        ]
        for config, words in cases:
            self.assert_failure(self.call("rfc2136", self.request(
                "Present", "bad.example.test", "b" * 43, config)), words)
        status, body = self.call("nosuch", {})
        self.assertEqual((status, body["reason"]), (404, "NotFound"))
        status, body = self.call("rfc2136", None, body="{not json")
        self.assertEqual((status, body["reason"]), (400, "BadRequest"))
        status, body = self.call("rfc2136", None, body=json.dumps({"request": {
            "action": "Dance"}}))
        self.assertEqual(status, 400)
        self.assertIn("Present or CleanUp", body["message"])
        self.assertEqual(self.oversized(), 413)
        status, body = self.call("rfc2136", None, body="{}", headers={"Content-Type": "text/yaml"})
        self.assertEqual(status, 415)
        payload = self.request("Present", "bad.example.test", "b" * 43, base)
        payload["request"]["resolvedFQDN"] = "no-trailing-dot.example.test"
        self.assert_failure(self.call("rfc2136", payload), "resolvedFQDN")
        self.assertEqual(self.env.txt("_acme-challenge.bad.example.test"), [])
        self.assertEqual(self.get_status("/apis/%s/v1alpha1" % GROUP, cert="proxy")[0], 200)

    def test_config_never_names_a_file_of_the_server(self):
        fifo = os.path.join(self.pki, "trap")
        os.mkfifo(fifo)
        for config in ({"nameserver": self.env.primary, "tsigFile": fifo},
                       {"nameserver": self.env.primary, "tsigSecret_file": fifo},
                       {"nameserver": self.env.primary, "tsigSecretFile": "/etc/shadow"}):
            started = time.monotonic()
            self.assert_failure(self.call("rfc2136", self.request(
                "Present", "file.example.test", "f" * 43, config, ambient=True)),
                "unknown keys")
            # Reading the FIFO would block until the request timed out.
            self.assertLess(time.monotonic() - started, 10)
        aws = {"endpoint": self.route53.url,
               "sharedCredentialsFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
               "webIdentityTokenFile": fifo}
        self.assert_failure(self.call("route53", self.request(
            "Present", "file.example.test", "f" * 43, aws, ambient=True)),
            "sharedCredentialsFile", "webIdentityTokenFile")

    def test_endpoints_only_when_allowed(self):
        self.server.proc.send_signal(signal.SIGTERM)
        self.server.wait(20)
        argv = [a for a in self._argv() if a != "--allow-config-endpoints"]
        type(self).server = type(self).start_server(argv=argv)
        try:
            config = {"endpoint": "http://169.254.169.254/",
                      "accessKeyIDSecretRef": {"name": "alidns-credentials",
                                               "key": "access-key-id"},
                      "accessKeySecretSecretRef": {"name": "alidns-credentials",
                                                   "key": "access-key-secret"}}
            self.assert_failure(self.call("alidns", self.request(
                "Present", "ep.example.test", "e" * 43, config)), "--allow-config-endpoints")
        finally:
            self.server.proc.send_signal(signal.SIGTERM)
            self.server.wait(20)
            type(self).server = type(self).start_server()

    def test_metrics(self):
        status, body, ctype = self.get_status("/metrics", cert="proxy")
        self.assertEqual(status, 200)
        self.assertIn("dnsacme_webhook_request_duration_seconds_bucket", body)
        self.assertEqual(self.get_status("/metrics", cert=None)[0], 401)


class WebhookLifecycleTest(WebhookTest):
    """What needs a server of its own: the certificate swapped under it,
    SIGTERM while a request runs."""

    def test_serving_certificate_reloaded(self):
        ca = make_ca(self.pki, "serving-ca-2")
        fresh = make_cert(self.pki, "serving-2", ca, "dnsacme-webhook",
                          "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth")
        for new, old in zip(fresh, self.serving):
            os.replace(new, old)
        type(self).serving_ca = ca
        self.assertTrue(harness.wait_for(
            lambda: self._serves_with(ca), timeout=15), "the new certificate was not served")

    def _serves_with(self, ca):
        context = ssl.create_default_context(cafile=ca[1])
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                    return True
        except (ssl.SSLError, OSError):
            return False

    def test_allowed_user(self):
        self.server.proc.send_signal(signal.SIGTERM)
        self.server.wait(20)
        metrics_port = free_port()
        type(self).server = type(self).start_server("--allowed-user", USER, "--metrics-port",
                                                    str(metrics_port))
        try:
            payload = self.request("Present", "allowed.example.test", "a" * 43,
                                   self.rfc2136_config())
            status, body = self.call("rfc2136", payload,
                                     headers={"X-Remote-User": "system:serviceaccount:x:y"})
            self.assertEqual((status, body["reason"]), (403, "Forbidden"))
            self.assertEqual(self.env.txt("_acme-challenge.allowed.example.test"), [])
            # Discovery is the aggregator's, whoever --allowed-user names.
            self.assertEqual(self.get_status("/apis/%s/v1alpha1" % GROUP, cert="proxy")[0], 200)
            self.assert_success(self.call("rfc2136", payload))
            payload["request"]["action"] = "CleanUp"
            self.assert_success(self.call("rfc2136", payload))
            plain = http.client.HTTPConnection("127.0.0.1", metrics_port, timeout=10)
            plain.request("GET", "/metrics")
            text = plain.getresponse().read().decode()
            plain.close()
            self.assertIn('dnsacme_webhook_requests_total{solver="rfc2136",action="Present",'
                          'result="success"} 1', text)
        finally:
            self.server.proc.send_signal(signal.SIGTERM)
            self.server.wait(20)
            type(self).server = type(self).start_server()

    def test_slow_clients_are_cut_off(self):
        self.server.proc.send_signal(signal.SIGTERM)
        self.server.wait(20)
        type(self).server = type(self).start_server("--request-deadline", "2")
        try:
            context = ssl.create_default_context(cafile=self.serving_ca[1])
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            trickler = context.wrap_socket(raw, server_hostname="127.0.0.1")
            trickler.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            with self.assertRaises(OSError):
                while time.monotonic() - started < 8:
                    time.sleep(0.2)
                    trickler.sendall(b"X-Slow: y\r\n")  # each byte resets an idle timer
            self.assertLess(time.monotonic() - started, 5)
            trickler.close()
            silent = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            started = time.monotonic()
            self.assertEqual(silent.recv(16), b"")
            self.assertLess(time.monotonic() - started, 5)
            silent.close()
            self.assertEqual(self.get_status("/healthz")[:2], (200, "ok"))
        finally:
            self.server.proc.send_signal(signal.SIGTERM)
            self.server.wait(20)
            type(self).server = type(self).start_server()

    def test_sigterm_drains(self):
        self.alidns.latency = 2.0
        config = {"endpoint": self.alidns.url,
                  "accessKeyIDSecretRef": {"name": "alidns-credentials", "key": "access-key-id"},
                  "accessKeySecretSecretRef": {"name": "alidns-credentials",
                                               "key": "access-key-secret"},
                  "ttl": 600}
        results = []
        def present():
            try:
                results.append(self.call("alidns", self.request(
                    "Present", "drain.example.test", "d" * 43, config)))
            except Exception as e:  # shown by the assertion below
                results.append((0, repr(e)))
        call = threading.Thread(target=present)
        call.start()
        time.sleep(0.5)
        self.server.proc.send_signal(signal.SIGTERM)
        call.join(30)
        self.alidns.latency = 0.0
        self.assert_success(results[0])
        done = self.server.wait(20)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("stopping: 1 request in flight", done.stderr)
        type(self).server = type(self).start_server()
        self.assert_success(self.call("alidns", self.request("CleanUp", "drain.example.test",
                                                             "d" * 43, config)))


# The lifecycle class re-runs only its own tests.
for _name in [n for n in dir(WebhookTest) if n.startswith("test_")]:
    if _name not in WebhookLifecycleTest.__dict__:
        setattr(WebhookLifecycleTest, _name, None)

if __name__ == "__main__":
    unittest.main()
