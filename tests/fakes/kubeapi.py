#!/usr/bin/python3
"""A fake Kubernetes API server: core/v1 Secrets and ConfigMaps over HTTPS.

It answers as kube-apiserver does where dnsacme and kubectl look: bearer-token
authentication (401 Status without one), a role per token (403 Status naming
the verb, resource and namespace, as RBAC words it), resourceVersion on every
object and optimistic concurrency (409 Conflict on a stale update, 409
AlreadyExists on a second create), 404 NotFound, 422 Invalid for a Secret whose
data is not base64 or whose type changes, and discovery (/version, /api,
/api/v1, /apis) enough for `kubectl --kubeconfig` get/create/replace/delete.

In a test (Debian's /usr/bin/python3):

    fake = FakeKubeAPI(cert, key, tokens={"TOKEN": ("system:serviceaccount:ns:sa", None)})
    fake.start()                   # fake.url is https://127.0.0.1:PORT
    fake.put_object("secrets", "ns", {...})   # seed, as another tool would
    fake.fail_next("PUT", 409)     # the next PUT gets a Conflict; 403, 500, 503 too
    fake.requests()                # [(method, path), ...]
    fake.stop()

A role is None (anything is allowed) or a set of (verb, resource, namespace,
name) tuples, name None for any; verbs are RBAC's: get, list, create, update,
patch, delete.

From the shell: kubeapi.py --cert C --key K --token T [--port N]; it prints
"listening on https://127.0.0.1:PORT" and serves until killed.
"""

import argparse
import base64
import binascii
import copy
import datetime
import json
import re
import ssl
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {"secrets": "Secret", "configmaps": "ConfigMap"}
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
KEY_RE = re.compile(r"^[-._a-zA-Z0-9]{1,253}$")
MAX_BODY = 3 * 1024 * 1024


def status(code, reason, message, details=None):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "details": details or {}, "code": code}


class FakeKubeAPI:
    def __init__(self, cert, key, tokens, port=0):
        self.tokens = dict(tokens)
        self.objects = {}  # (resource, namespace, name) -> object
        self.version = 1000
        self.lock = threading.Lock()
        self.failures = []  # [method, status, count]
        self.log = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # -- test controls -------------------------------------------------------

    def fail_next(self, method, code, count=1):
        with self.lock:
            self.failures.append([method, code, count])

    def requests(self):
        with self.lock:
            return list(self.log)

    def clear_requests(self):
        with self.lock:
            self.log.clear()

    def get_object(self, resource, namespace, name):
        with self.lock:
            obj = self.objects.get((resource, namespace, name))
            return copy.deepcopy(obj) if obj else None

    def put_object(self, resource, namespace, obj):
        """Store obj as another writer would (a new resourceVersion); returns it."""
        with self.lock:
            return copy.deepcopy(self._store(resource, namespace, copy.deepcopy(obj)))

    def secret_data(self, namespace, name):
        """The Secret's data, decoded: {key: bytes}, or None."""
        obj = self.get_object("secrets", namespace, name)
        if obj is None:
            return None
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}

    # -- the server ----------------------------------------------------------

    def _store(self, resource, namespace, obj):
        self.version += 1
        meta = obj.setdefault("metadata", {})
        old = self.objects.get((resource, namespace, meta["name"]))
        meta["namespace"] = namespace
        meta["resourceVersion"] = str(self.version)
        meta["uid"] = old["metadata"]["uid"] if old else str(uuid.uuid4())
        meta["creationTimestamp"] = (old["metadata"]["creationTimestamp"] if old else
                                     datetime.datetime.now(datetime.timezone.utc)
                                     .strftime("%Y-%m-%dT%H:%M:%SZ"))
        obj["apiVersion"] = "v1"
        obj["kind"] = RESOURCES[resource]
        if resource == "secrets":
            obj.setdefault("type", "Opaque")
            for k, v in list((obj.pop("stringData", None) or {}).items()):
                obj.setdefault("data", {})[k] = base64.b64encode(v.encode()).decode()
        self.objects[(resource, namespace, meta["name"])] = obj
        return obj

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_PUT(self):
                self._serve("PUT")

            def do_DELETE(self):
                self._serve("DELETE")

            def do_PATCH(self):
                self._serve("PATCH")

            def _serve(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.close_connection = True
                    return self._send(413, status(413, "RequestEntityTooLarge",
                                                  "the request is too large"))
                body = self.rfile.read(length) if length else b""
                path = urllib.parse.urlsplit(self.path).path
                with fake.lock:
                    fake.log.append((method, path))
                    code, answer = fake._answer(method, path, self.headers, body)
                self._send(code, answer)

        return Handler

    def _user(self, headers):
        auth = headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            return None
        return self.tokens.get(auth[len("Bearer "):])

    def _injected(self, method):
        for f in self.failures:
            if f[0] == method and f[2] > 0:
                f[2] -= 1
                return f[1]
        return None

    def _answer(self, method, path, headers, body):
        user = self._user(headers)
        if user is None:
            return 401, status(401, "Unauthorized", "Unauthorized")
        if path == "/version":
            return 200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-fake"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [
                             {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
        if path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
        if path == "/api/v1":
            return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": r, "singularName": k.lower(), "namespaced": True, "kind": k,
                 "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                for r, k in RESOURCES.items()]}
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)", path)
        if m and method == "GET":
            # Every namespace exists: kubectl asks after a NotFound.
            return 200, {"kind": "Namespace", "apiVersion": "v1",
                         "metadata": {"name": m.group(1)}, "status": {"phase": "Active"}}
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/([^/]+)(?:/([^/]+))?", path)
        if not m or m.group(2) not in RESOURCES:
            return 404, status(404, "NotFound", "the server could not find the requested "
                               "resource")
        namespace, resource, name = m.groups()
        verb = {"GET": "get" if name else "list", "POST": "create", "PUT": "update",
                "PATCH": "patch", "DELETE": "delete"}[method]
        if (method == "POST") == (name is not None) and method != "GET":
            return 405, status(405, "MethodNotAllowed", "the server does not allow this "
                               "method on the requested resource")
        who, role = user
        if role is not None and (verb, resource, namespace, name) not in role and \
                (verb, resource, namespace, None) not in role:
            return 403, status(403, "Forbidden",
                               '%s%s is forbidden: User "%s" cannot %s resource "%s" in API '
                               'group "" in the namespace "%s"' %
                               (resource, ' "%s"' % name if name else "", who, verb,
                                resource, namespace),
                               {"name": name or "", "kind": resource})
        injected = self._injected(method)
        if injected == 409:
            return 409, status(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": '
                               "the object has been modified; please apply your changes to "
                               "the latest version and try again" % (resource, name or ""),
                               {"name": name or "", "kind": resource})
        if injected is not None:
            return injected, status(injected, "InternalError" if injected == 500 else
                                    "ServiceUnavailable", "injected failure %d" % injected)
        kind = RESOURCES[resource]
        if method == "GET" and name is None:
            items = [copy.deepcopy(o) for (r, ns, _), o in sorted(self.objects.items())
                     if r == resource and ns == namespace]
            return 200, {"kind": kind + "List", "apiVersion": "v1",
                         "metadata": {"resourceVersion": str(self.version)}, "items": items}
        current = self.objects.get((resource, namespace, name)) if name else None
        not_found = (404, status(404, "NotFound", '%s "%s" not found' % (resource, name),
                                 {"name": name, "kind": resource}))
        if method == "GET":
            return (200, copy.deepcopy(current)) if current else not_found
        if method == "DELETE":
            if not current:
                return not_found
            del self.objects[(resource, namespace, name)]
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                         "status": "Success", "details": {"name": name, "kind": resource}}
        if method == "PATCH":
            return 415, status(415, "UnsupportedMediaType", "this fake takes no patches")
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type != "application/json":
            # Protobuf is kube-apiserver's too; clients fall back to JSON on a 415.
            return 415, status(415, "UnsupportedMediaType", 'the body of the request was in '
                               'an unknown format - accepted media types include: '
                               'application/json')
        try:
            obj = json.loads(body)
        except ValueError as e:
            return 400, status(400, "BadRequest", "the body of the request was in an unknown "
                               "format: %s" % e)
        undecodable = self._undecodable(obj, kind)
        if undecodable:
            return 400, status(400, "BadRequest", '%s in version "v1" cannot be handled as a '
                               '%s: %s' % (kind, kind, undecodable))
        problem = self._invalid(obj, kind, namespace, name, current)
        if problem:
            field, what = problem.split(": ", 1)
            bad_name = (obj.get("metadata") or {}).get("name", "") \
                if isinstance(obj, dict) else ""
            return 422, status(422, "Invalid", '%s "%s" is invalid: %s' %
                               (kind, bad_name, problem),
                               {"name": bad_name, "kind": kind, "causes": [
                                   {"reason": "FieldValueInvalid", "message": what,
                                    "field": field}]})
        obj_name = obj["metadata"]["name"]
        if method == "POST":
            if (resource, namespace, obj_name) in self.objects:
                return 409, status(409, "AlreadyExists", '%s "%s" already exists' %
                                   (resource, obj_name),
                                   {"name": obj_name, "kind": resource})
            obj["metadata"].pop("resourceVersion", None)
            return 201, copy.deepcopy(self._store(resource, namespace, obj))
        if not current:
            return not_found
        given = obj["metadata"].get("resourceVersion")
        if given and given != current["metadata"]["resourceVersion"]:
            return 409, status(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": '
                               "the object has been modified; please apply your changes to "
                               "the latest version and try again" % (resource, name),
                               {"name": name, "kind": resource})
        return 200, copy.deepcopy(self._store(resource, namespace, obj))

    @staticmethod
    def _undecodable(obj, kind):
        """What kube-apiserver's JSON decoder refuses before validation."""
        if kind != "Secret" or not isinstance(obj, dict) or \
                not isinstance(obj.get("data"), dict):
            return None
        for v in obj["data"].values():
            try:
                base64.b64decode(v, validate=True)
            except (binascii.Error, TypeError, ValueError):
                return "illegal base64 data at input byte 0"
        return None

    def _invalid(self, obj, kind, namespace, name, current):
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            return "metadata: Required value"
        meta = obj["metadata"]
        if obj.get("kind") not in (None, kind) or obj.get("apiVersion") not in (None, "v1"):
            return "kind: Invalid value: %r" % obj.get("kind")
        if not isinstance(meta.get("name"), str) or not NAME_RE.match(meta["name"]):
            return "metadata.name: Invalid value: %r" % meta.get("name")
        if name is not None and meta["name"] != name:
            return "metadata.name: Invalid value: %r: field is immutable" % meta["name"]
        if meta.get("namespace") not in (None, namespace):
            return "metadata.namespace: Invalid value: %r: does not match the namespace " \
                   "of the request" % meta.get("namespace")
        for field in ("labels", "annotations"):
            value = meta.get(field)
            if value is not None and (not isinstance(value, dict) or
                                      not all(isinstance(v, str) for v in value.values())):
                return "metadata.%s: Invalid value" % field
        data = obj.get("data") or {}
        if not isinstance(data, dict):
            return "data: Invalid value"
        for k, v in data.items():
            if not KEY_RE.match(k):
                return "data[%s]: Invalid value: a valid config key must consist of " \
                       "alphanumeric characters, '-', '_' or '.'" % k
            if not isinstance(v, str):
                return "data[%s]: Invalid value" % k
        if kind == "Secret":
            kind_type = obj.get("type") or "Opaque"
            if current and kind_type != current.get("type", "Opaque"):
                return "type: Invalid value: %r: field is immutable" % kind_type
            if kind_type == "kubernetes.io/tls":
                for k in ("tls.crt", "tls.key"):
                    if k not in data:
                        return "data[%s]: Required value" % k
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    fake = FakeKubeAPI(args.cert, args.key, {args.token: ("admin", None)}, args.port)
    print("listening on %s" % fake.url, flush=True)
    fake.server.serve_forever()


if __name__ == "__main__":
    main()
