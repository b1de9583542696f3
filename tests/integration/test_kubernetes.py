"""Kubernetes: certificates into kubernetes.io/tls Secrets and the state in a
Secret, against Pebble + BIND9 and the fake API server (tests/fakes/kubeapi.py,
which kubectl itself is pointed at here to show it answers as kube-apiserver
does)."""

import base64
import json
import os
import signal
import subprocess
import sys
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import serialization

import yaml

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
import kubeapi  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TOKEN = "k8s-test-token-5f1e"


def kill_tree(pid):
    """SIGKILL pid and every process below it, children first, so that no
    worker gets to clean up as a stopped run would."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                              text=True).stdout.split()
    for child in children:
        kill_tree(int(child))
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
FAR = "100000"


class KubernetesTest(harness.IntegrationTestCase):

    def setUp(self):
        self.api = kubeapi.FakeKubeAPI(self.env._tls_cert, self.env._tls_key,
                                       {TOKEN: ("system:serviceaccount:dnsacme:dnsacme", None)})
        self.api.start()
        self.kubeconfig = self.write_kubeconfig(TOKEN)

    def tearDown(self):
        self.api.stop()
        super().tearDown()

    def write_kubeconfig(self, token, namespace="istio-system"):
        path = os.path.join(self.out_dir(), "kubeconfig")
        with open(self.env.tls_ca, "rb") as f:
            ca = base64.b64encode(f.read()).decode()
        with open(path, "w") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n"
                    "    server: %s\n    certificate-authority-data: %s\n"
                    "users:\n- name: dnsacme\n  user:\n    token: %s\n"
                    "contexts:\n- name: fake\n  context:\n    cluster: fake\n"
                    "    user: dnsacme\n    namespace: %s\ncurrent-context: fake\n"
                    % (self.api.url, ca, token, namespace))
        return path

    def dnsacme(self, *args, **kwargs):
        result = self.env.dnsacme(*args, "--kubeconfig", self.kubeconfig, **kwargs)
        for secret in (self.env.tsig_secret, TOKEN):
            self.assertNotIn(secret, result.stdout + result.stderr)
        return result

    def issue_into(self, secret, names, *args):
        argv = ["issue", "--dns", "rfc2136", "--agree-tos", "--secret", secret]
        for name in names:
            argv += ["-d", name]
        return self.dnsacme(*argv, *args)

    def check_tls_secret(self, ns, name, names):
        """The Secret holds a chain for names and its key; returns the Secret."""
        secret = self.api.get_object("secrets", ns, name)
        self.assertEqual(secret["type"], "kubernetes.io/tls")
        data = self.api.secret_data(ns, name)
        pems = data["tls.crt"].split(b"-----END CERTIFICATE-----")[:-1]
        chain = [x509.load_pem_x509_certificate(p + b"-----END CERTIFICATE-----\n")
                 for p in pems]
        self.assertGreaterEqual(len(chain), 2, "tls.crt is the full chain")
        key = serialization.load_pem_private_key(data["tls.key"], None)
        self.assertEqual(key.public_key().public_numbers(),
                         chain[0].public_key().public_numbers(), "tls.key is the leaf's key")
        sans = chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName)
        self.assertEqual(sorted(sans.value.get_values_for_type(x509.DNSName)), sorted(names))
        notes = secret["metadata"]["annotations"]
        self.assertEqual(notes["dnsacme.io/names"], ",".join(names))
        self.assertEqual(int(notes["dnsacme.io/serial"], 16), chain[0].serial_number)
        self.assertIn("dnsacme.io/not-after", notes)
        self.assertIn("dnsacme.io/issuer", notes)
        return secret

    def methods(self, path_end):
        return [m for m, p in self.api.requests() if p.endswith(path_end)]

    # -- the Secret sink -----------------------------------------------------

    def test_issue_into_a_new_secret_in_the_contexts_namespace(self):
        names = ["example.test", "*.example.test"]
        result = self.issue_into("istio-ingressgateway-certs", names)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("secret istio-system/istio-ingressgateway-certs", result.stdout)
        self.check_tls_secret("istio-system", "istio-ingressgateway-certs", names)
        # kubectl reads what dnsacme wrote.
        shown = subprocess.run(["kubectl", "--kubeconfig", self.kubeconfig, "get", "secret",
                                "istio-ingressgateway-certs", "-o", "json"],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(json.loads(shown.stdout)["type"], "kubernetes.io/tls")

    def test_foreign_keys_kept_and_409_retried(self):
        self.api.put_object("secrets", "istio-system", {
            "metadata": {"name": "gw", "labels": {"team": "mesh"},
                         "annotations": {"owner": "platform"}},
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": "", "tls.key": "", "ca.crt": base64.b64encode(b"CA").decode()}})
        self.api.fail_next("PUT", 409)
        result = self.issue_into("istio-system/gw", ["gw.example.test"])
        self.assertEqual(result.returncode, 0, result.stderr)
        secret = self.check_tls_secret("istio-system", "gw", ["gw.example.test"])
        self.assertEqual(secret["metadata"]["labels"], {"team": "mesh"})
        self.assertEqual(secret["metadata"]["annotations"]["owner"], "platform")
        self.assertEqual(self.api.secret_data("istio-system", "gw")["ca.crt"], b"CA")
        self.assertEqual(self.methods("/secrets/gw").count("PUT"), 2, "the 409 was retried")

    def test_refused_secrets_publish_nothing(self):
        self.api.put_object("secrets", "istio-system", {
            "metadata": {"name": "cm", "annotations": {
                "cert-manager.io/certificate-name": "gateway"}},
            "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}})
        self.api.put_object("secrets", "istio-system", {
            "metadata": {"name": "opaque"}, "type": "Opaque", "data": {}})
        before = self.api.get_object("secrets", "istio-system", "cm")
        for name, words in (("cm", "cert-manager's Certificate gateway"),
                            ("opaque", "of type Opaque")):
            result = self.issue_into(name, ["refused.example.test"], "--renew-before", "30")
            self.assertEqual(result.returncode, 1)
            self.assertIn(words, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertEqual(self.api.get_object("secrets", "istio-system", "cm"), before)
        self.assertNotIn("POST", [m for m, p in self.api.requests()])

    def test_403_names_the_missing_permission(self):
        self.api.tokens[TOKEN] = ("system:serviceaccount:dnsacme:dnsacme",
                                  {("get", "secrets", "istio-system", None)})
        self.api.put_object("secrets", "istio-system", {
            "metadata": {"name": "gw"}, "type": "kubernetes.io/tls",
            "data": {"tls.crt": "", "tls.key": ""}})
        result = self.issue_into("gw", ["forbidden.example.test"])
        self.assertEqual(result.returncode, 1)
        self.assertIn("update secrets istio-system/gw: the API server answered 403", result.stderr)
        self.assertIn('needs verb "update" on resource "secrets"', result.stderr)

    def test_in_cluster_service_account_token_reread(self):
        sa = self.out_dir()
        with open(os.path.join(sa, "token"), "w") as f:
            f.write("first-token")
        with open(os.path.join(sa, "namespace"), "w") as f:
            f.write("istio-system\n")
        with open(self.env.tls_ca) as src, open(os.path.join(sa, "ca.crt"), "w") as f:
            f.write(src.read())
        self.api.tokens = {"first-token": ("system:serviceaccount:istio-system:dnsacme", None)}
        hook = "printf second-token > %s/token" % sa
        env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": str(self.api.port), "KUBECONFIG": None}
        # The first token is good for the due check's read; the hook rotates
        # it before the next run, which only the new one serves.
        result = self.env.dnsacme("issue", "--dns", "rfc2136", "--agree-tos", "--secret", "sa",
                                  "-d", "sa.example.test", "--service-account-dir", sa,
                                  "--deploy-hook", hook, extra_env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.check_tls_secret("istio-system", "sa", ["sa.example.test"])
        self.api.tokens = {"second-token": ("system:serviceaccount:istio-system:dnsacme", None)}
        result = self.env.dnsacme("issue", "--dns", "rfc2136", "--agree-tos", "--secret", "sa",
                                  "-d", "sa.example.test", "--service-account-dir", sa,
                                  "--renew-before", "30", extra_env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("is not due", result.stdout)

    # -- renew with the state in a Secret ------------------------------------

    def write_config(self, certificates):
        path = os.path.join(self.out_dir(), "renew.json")
        with open(path, "w") as f:
            json.dump({"dns": "rfc2136", "agree_tos": True, "certificates": certificates}, f)
        return path

    def renew(self, config, *args):
        return self.dnsacme("renew", "--config", config, "--state-secret", "dnsacme/state",
                            *args)

    def account_keys(self):
        data = self.api.secret_data("dnsacme", "state") or {}
        return {k: v for k, v in data.items() if k.endswith("account.key")}

    def test_renew_files_and_secrets_with_one_account(self):
        out = self.out_dir()
        config = self.write_config([
            {"domains": ["files.example.test"], "out": out},
            {"domains": ["a.example.test", "*.a.example.test"], "secret": "istio-system/a"},
            {"domains": ["b.example.test"], "secret": "apps/b"}])
        result = self.renew(config)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout.count(": renewed"), 3, result.stdout)
        self.env.verify_certificate(out, ["files.example.test"], "ec256")
        self.check_tls_secret("istio-system", "a", ["a.example.test", "*.a.example.test"])
        self.check_tls_secret("apps", "b", ["b.example.test"])
        keys = self.account_keys()
        self.assertEqual(len(keys), 1, "one account in the state Secret")
        state = self.api.get_object("secrets", "dnsacme", "state")
        self.assertNotIn("dnsacme.io/lease", state["metadata"]["annotations"])
        self.assertNotIn("journal.json", state.get("data", {}))

        versions = {n: self.api.get_object("secrets", ns, n)["metadata"]["resourceVersion"]
                    for ns, n in (("istio-system", "a"), ("apps", "b"))}
        result = self.renew(config)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("not due"), 3, result.stdout)
        for ns, n in (("istio-system", "a"), ("apps", "b")):
            self.assertEqual(self.api.get_object("secrets", ns, n)["metadata"]
                             ["resourceVersion"], versions[n], "a Secret not due is not written")

        result = self.renew(config, "--renew-before", FAR)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count(": renewed"), 3, result.stdout)
        self.assertEqual(self.account_keys(), keys, "the same account")
        # Without a config, the records kept in the state Secret are renewed.
        result = self.dnsacme("renew", "--state-secret", "dnsacme/state", "--dry-run")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("not due"), 3, result.stdout)

    def test_killed_run_cleaned_by_the_next_after_the_lease(self):
        config = self.write_config([{"domains": ["killed.example.test"],
                                     "secret": "istio-system/killed"}])
        run = self.env.dnsacme_start("renew", "--config", config, "--state-secret",
                                     "dnsacme/state", "--state-lease", "10",
                                     "--propagation-timeout", "60", "--kubeconfig",
                                     self.kubeconfig,
                                     "--propagation-nameservers", "127.0.0.1:9")
        harness.wait_for(lambda: self.env.challenge_txt_records(), timeout=60, run=run)
        data = self.api.secret_data("dnsacme", "state")
        self.assertIn("journal.json", data, "the journal is saved before records go out")
        kill_tree(run.proc.pid)
        run.wait(10)
        self.assertNotEqual(self.env.challenge_txt_records(), {})
        state = self.api.get_object("secrets", "dnsacme", "state")
        self.assertIn("dnsacme.io/lease", state["metadata"]["annotations"])
        started = time.monotonic()
        result = self.renew(config, "--state-lease", "10")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(time.monotonic() - started, 3, "it waited for the lease")
        self.assertEqual(self.env.challenge_txt_records(), {})
        self.check_tls_secret("istio-system", "killed", ["killed.example.test"])
        self.assertNotIn("journal.json", self.api.secret_data("dnsacme", "state"))

    def test_two_shards_split_the_certificates(self):
        names = ["shard%d.example.test" % i for i in range(6)]
        config = self.write_config([{"domains": [n], "secret": "apps/" + n.split(".")[0]}
                                    for n in names])
        runs = [self.env.dnsacme_start("renew", "--config", config, "--state-secret",
                                       "dnsacme/state", "--shard", "%d/2" % i,
                                       "--kubeconfig", self.kubeconfig) for i in range(2)]
        outputs = []
        for run in runs:
            done = run.wait(180)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            outputs.append(done.stdout)
        renewed = [line.split(":")[0] for out in outputs for line in out.splitlines()
                   if ": renewed" in line]
        self.assertEqual(sorted(renewed), sorted(names), outputs)
        for n in names:
            self.check_tls_secret("apps", n.split(".")[0], [n])
        posts = self.methods("/namespaces/apps/secrets").count("POST")
        self.assertEqual(posts, 6, "each Secret written once")
        self.assertEqual(len(self.account_keys()), 1)
        result = self.dnsacme("renew", "--config", config, "--state-secret", "dnsacme/state",
                              "--shard", "1", extra_env={"JOB_COMPLETION_INDEX": "5"})
        self.assertEqual(result.returncode, 2)
        self.assertIn("INDEX must be 0 to 0", result.stderr)

    def test_state_keys_that_are_no_path_of_ours_are_left_alone(self):
        hostile = {k: base64.b64encode(b"planted").decode() for k in (
            "renewal......evil.json", "accounts..x......y", "journal.1-of-2.json", "notes.txt",
            "renew-state..a..b..c..d..e..f..g.json")}
        self.api.put_object("secrets", "dnsacme", {
            "metadata": {"name": "state", "annotations": {"dnsacme.io/state": "1"}},
            "type": "Opaque", "data": hostile})
        tmp = self.out_dir()
        config = self.write_config([{"domains": ["left.example.test"], "secret": "apps/left"}])
        result = self.env.dnsacme("renew", "--config", config, "--state-secret", "dnsacme/state",
                                  "--kubeconfig", self.kubeconfig, extra_env={"TMPDIR": tmp})
        self.assertEqual(result.returncode, 0, result.stderr)
        data = self.api.get_object("secrets", "dnsacme", "state")["data"]
        self.assertEqual({k: data[k] for k in hostile}, hostile)
        self.assertEqual(os.listdir(tmp), [], "nothing left outside the state's copy")

    def test_state_secret_refuses_a_secret_with_other_data(self):
        self.api.put_object("secrets", "dnsacme", {
            "metadata": {"name": "state"}, "type": "Opaque",
            "data": {"password": base64.b64encode(b"x").decode()}})
        config = self.write_config([{"domains": ["x.example.test"], "secret": "apps/x"}])
        result = self.renew(config)
        self.assertEqual(result.returncode, 1)
        self.assertIn("is not a dnsacme state Secret", result.stderr)
        self.assertEqual(self.api.secret_data("dnsacme", "state"), {"password": b"x"})


    def test_the_cronjobs_command_from_the_manifests(self):
        """The rendered CronJob's command, as its pod runs it: in-cluster
        configuration, the ConfigMap's certificates (pointed at Pebble and the
        test zone), the state Secret."""
        rendered = subprocess.run(["kubectl", "kustomize", os.path.join(ROOT, "docker", "k8s",
                                                                        "cronjob")],
                                  capture_output=True, text=True, timeout=60, check=True)
        objects = {(o["kind"], o["metadata"]["name"]): o
                   for o in yaml.safe_load_all(rendered.stdout)}
        pod = objects[("CronJob", "dnsacme")]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        self.assertEqual(pod["securityContext"]["runAsUser"], 65532)
        self.assertTrue(container["securityContext"]["readOnlyRootFilesystem"])
        config = json.loads(objects[("ConfigMap", "dnsacme-certificates")]["data"]["renew.json"])
        config["certificates"][0]["domains"] = ["app.example.test"]
        etc = self.out_dir()
        with open(os.path.join(etc, "renew.json"), "w") as f:
            json.dump(config, f)
        sa = self.out_dir()
        for name, text in (("token", TOKEN), ("namespace", "dnsacme")):
            with open(os.path.join(sa, name), "w") as f:
                f.write(text)
        with open(self.env.tls_ca) as src, open(os.path.join(sa, "ca.crt"), "w") as f:
            f.write(src.read())
        args = [a.replace("/etc/dnsacme", etc) for a in container["args"]]
        env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBECONFIG": None,
               "KUBERNETES_SERVICE_PORT": str(self.api.port), "TMPDIR": self.out_dir()}
        for attempt in ("renewed", "not due"):
            result = self.env.dnsacme(*args, "--service-account-dir", sa, extra_env=env)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn("app.example.test: " + attempt, result.stdout)
        self.check_tls_secret("dnsacme", "app-example-com-tls", ["app.example.test"])
        self.assertEqual(len(self.account_keys_in("dnsacme", "dnsacme-state")), 1)
        self.assertEqual(os.listdir(env["TMPDIR"]), [], "the state's copy is removed")

    def account_keys_in(self, ns, name):
        return [k for k in (self.api.secret_data(ns, name) or {}) if k.endswith("account.key")]


class ManifestsTest(unittest.TestCase):
    """Each kustomization renders, under Pod Security "restricted"."""

    def render(self, *path):
        done = subprocess.run(["kubectl", "kustomize", os.path.join(ROOT, "docker", "k8s",
                                                                    *path)],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(done.stdout)}

    def job(self, objects):
        return objects[("CronJob", "dnsacme")]["spec"]["jobTemplate"]["spec"]

    def test_variants(self):
        base = self.render("cronjob")
        cron = base[("CronJob", "dnsacme")]["spec"]
        self.assertEqual(cron["concurrencyPolicy"], "Forbid")
        self.assertIn("startingDeadlineSeconds", cron)
        pod = self.job(base)["template"]["spec"]
        ctx = pod["containers"][0]["securityContext"]
        self.assertEqual((ctx["allowPrivilegeEscalation"], ctx["readOnlyRootFilesystem"],
                          ctx["capabilities"]["drop"]), (False, True, ["ALL"]))
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertEqual(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
        self.assertIn(("Role", "dnsacme-state"), base)

        indexed = self.job(self.render("cronjob", "indexed"))
        self.assertEqual(indexed["completionMode"], "Indexed")
        self.assertIn("--shard=%d" % indexed["completions"],
                      indexed["template"]["spec"]["containers"][0]["args"])

        istio = self.render("cronjob", "istio")
        gateway = istio[("Gateway", "example-gateway")]["spec"]["servers"][0]
        self.assertEqual(gateway["tls"]["credentialName"], "istio-ingressgateway-certs")
        config = json.loads(istio[("ConfigMap", "dnsacme-certificates")]["data"]["renew.json"])
        self.assertEqual(config["dns"], "alidns")
        self.assertEqual(config["certificates"][0],
                         {"domains": ["example.com", "*.example.com"],
                          "secret": "istio-system/istio-ingressgateway-certs"})
        role = istio[("Role", "dnsacme-gateway-certs")]
        self.assertEqual(role["metadata"]["namespace"], "istio-system")
        self.assertEqual(role["rules"][0]["resourceNames"], ["istio-ingressgateway-certs"])


    def test_webhook(self):
        objects = self.render("webhook")
        deployment = objects[("Deployment", "dnsacme-webhook")]
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        group = {e["name"]: e["value"] for e in container["env"]}["GROUP_NAME"]
        api = objects[("APIService", "v1alpha1." + group)]
        self.assertEqual(api["spec"]["group"], group)
        self.assertEqual(api["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
                         "cert-manager/dnsacme-webhook-tls")
        self.assertEqual(objects[("ClusterRole", "dnsacme-webhook:domain-solver")]["rules"][0]
                         ["apiGroups"], [group])
        self.assertEqual(deployment["spec"]["replicas"], 2)
        self.assertIn("--secure-port=8443", container["args"])
        self.assertEqual(container["readinessProbe"]["httpGet"]["scheme"], "HTTPS")
        self.assertTrue(container["securityContext"]["readOnlyRootFilesystem"])
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        port = objects[("Service", "dnsacme-webhook")]["spec"]["ports"][0]
        self.assertEqual((port["port"], port["targetPort"]), (443, "https"))
        reader = objects[("RoleBinding", "dnsacme-webhook:webhook-authentication-reader")]
        self.assertEqual(reader["metadata"]["namespace"], "kube-system")
        tls = objects[("Certificate", "dnsacme-webhook-tls")]["spec"]
        self.assertIn("dnsacme-webhook.cert-manager.svc", tls["dnsNames"])
        self.assertIn(("PodDisruptionBudget", "dnsacme-webhook"), objects)

        example = self.render("webhook", "example")
        solver = example[("ClusterIssuer", "letsencrypt-dns01")]["spec"]["acme"]["solvers"][0]
        self.assertEqual((solver["dns01"]["webhook"]["groupName"],
                          solver["dns01"]["webhook"]["solverName"]), (group, "alidns"))
        cert = example[("Certificate", "istio-ingressgateway-certs")]
        self.assertEqual(cert["metadata"]["namespace"], "istio-system")
        self.assertEqual(cert["spec"]["dnsNames"], ["example.com", "*.example.com"])


class FakeAgainstKubectlTest(unittest.TestCase):
    """kubectl itself against the fake: NotFound, AlreadyExists, Conflict,
    Invalid and Unauthorized come out as kubectl words them for a real
    kube-apiserver."""

    def setUp(self):
        self.tmp = subprocess.run(["mktemp", "-d"], capture_output=True, text=True).stdout.strip()
        key, cert = os.path.join(self.tmp, "key.pem"), os.path.join(self.tmp, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        self.api = kubeapi.FakeKubeAPI(cert, key, {TOKEN: ("admin", None)}).start()
        self.kubeconfig = os.path.join(self.tmp, "kubeconfig")
        with open(self.kubeconfig, "w") as f:
            f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                    "    server: %s\n    certificate-authority: %s\nusers:\n- name: u\n"
                    "  user:\n    token: %s\ncontexts:\n- name: x\n  context:\n"
                    "    cluster: c\n    user: u\n    namespace: ns1\ncurrent-context: x\n"
                    % (self.api.url, cert, TOKEN))

    def tearDown(self):
        self.api.stop()
        subprocess.run(["rm", "-rf", self.tmp])

    def kubectl(self, *args, token=None):
        argv = ["kubectl", "--kubeconfig", self.kubeconfig]
        if args[0] in ("create", "replace"):
            argv.append("--validate=false")  # the fake serves no OpenAPI schema
        if token:
            argv += ["--token", token]
        return subprocess.run(argv + list(args), capture_output=True, text=True, timeout=60)

    def test_kubectl_sees_a_kube_apiserver(self):
        path = os.path.join(self.tmp, "s.json")
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1"},
                  "type": "Opaque", "data": {"x": "eA=="}}
        with open(path, "w") as f:
            json.dump(secret, f)
        self.assertEqual(self.kubectl("create", "-f", path).returncode, 0)
        again = self.kubectl("create", "-f", path)
        self.assertIn('Error from server (AlreadyExists): error when creating "%s": secrets '
                      '"s1" already exists' % path, again.stderr)
        missing = self.kubectl("get", "secret", "nope")
        self.assertIn('Error from server (NotFound): secrets "nope" not found', missing.stderr)
        got = json.loads(self.kubectl("get", "secret", "s1", "-o", "json").stdout)
        self.assertTrue(got["metadata"]["resourceVersion"])
        stale = dict(got, metadata=dict(got["metadata"], resourceVersion="1"))
        with open(path, "w") as f:
            json.dump(stale, f)
        conflict = self.kubectl("replace", "-f", path)
        self.assertIn("Error from server (Conflict)", conflict.stderr)
        self.assertIn("the object has been modified", conflict.stderr)
        with open(path, "w") as f:
            json.dump(dict(got, type="kubernetes.io/tls"), f)
        invalid = self.kubectl("replace", "-f", path)
        self.assertIn('The Secret "s1" is invalid: type: Invalid value', invalid.stderr)
        with open(path, "w") as f:
            json.dump(got, f)
        self.assertEqual(self.kubectl("replace", "-f", path).returncode, 0)
        denied = self.kubectl("get", "secrets", token="wrong")
        self.assertIn("You must be logged in to the server (Unauthorized)", denied.stderr)


if __name__ == "__main__":
    unittest.main()
