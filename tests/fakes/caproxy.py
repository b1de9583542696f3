#!/usr/bin/python3
"""A TLS proxy in front of Pebble that can change what the CA answers.

dnsacme talks to the proxy as if it were the CA; the proxy forwards each
request to Pebble unchanged, Host header included, so Pebble builds every URL
it hands out (and checks every JWS "url") with the proxy's address: no
rewriting is needed for the proxy to stay in the path. Rules change answers
or replace them, to show what the client does with a CA that misbehaves.

In a test (Debian's /usr/bin/python3):

    proxy = CAProxy(upstream_port=env.acme_port, cert=..., key=..., ca=env.tls_ca)
    proxy.start()                 # proxy.directory_url: https://127.0.0.1:PORT/dir
    proxy.rewrite("/certZ/", lambda status, headers, body: (status, headers, other_pem))
    proxy.fail("/order-plz", [(503, {"Retry-After": "1"}, b"")])   # answers before Pebble's
    proxy.serve("/ari/", lambda method, path, body: (200, [], b"{...}"))  # every time
    proxy.requests()              # [(method, path), ...] in arrival order
    proxy.bodies("/order-plz")    # [body, ...] of the requests to a prefix
    proxy.stop()

A rule applies to requests whose path starts with its prefix. rewrite(prefix,
fn) passes Pebble's answer through fn(status, headers, body) -> (status,
headers, body); headers is a list of (name, value). fail(prefix, answers)
answers the next len(answers) matching requests itself, one answer each,
without asking Pebble; an answer's body may be Reset(body) (cut off half-way)
or Stall(seconds, body) (sent late). serve(prefix, fn) answers every matching request with
fn(method, path, body) -> (status, headers, body), for what Pebble does not
have (renewalInfo). clear() drops every rule and forgets the requests seen.
"""

import http.client
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Reset:
    """An answer body that is cut off: its Content-Length promises body, the
    connection is reset after the first half."""

    def __init__(self, body):
        self.body = body.encode() if isinstance(body, str) else body


class Stall:
    """An answer sent only after seconds (past the client's timeout)."""

    def __init__(self, seconds, body=b""):
        self.seconds = seconds
        self.body = body


# Headers that describe one hop, not the message (RFC 9110 7.6.1).
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _forward(self):
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        proxy._seen(self.command, self.path, body)
        canned = proxy._canned(self.path) or proxy._served(self.command, self.path, body)
        if canned is not None:
            self._answer(*canned)
            return
        upstream = http.client.HTTPSConnection("127.0.0.1", proxy.upstream_port,
                                               context=proxy._client_tls, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            reply = upstream.getresponse()
            answer = (reply.status, [(k, v) for k, v in reply.getheaders()
                                     if k.lower() not in HOP_BY_HOP], reply.read())
        finally:
            upstream.close()
        for prefix, fn in proxy._rewrites():
            if self.path.startswith(prefix):
                answer = fn(*answer)
        self._answer(*answer)

    def _answer(self, status, headers, body):
        if isinstance(body, Stall):
            time.sleep(body.seconds)
            body = body.body
        if isinstance(body, Reset):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body.body)))
            self.end_headers()
            self.wfile.write(body.body[:len(body.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _forward


class CAProxy:
    def __init__(self, upstream_port, cert, key, ca):
        """cert and key: the proxy's TLS certificate for 127.0.0.1 (Pebble's
        own does); ca: the bundle that verifies Pebble."""
        self.upstream_port = upstream_port
        self._client_tls = ssl.create_default_context(cafile=ca)
        self._server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._server_tls.load_cert_chain(cert, key)
        self._lock = threading.Lock()
        self._rules = []   # (prefix, fn)
        self._faults = []  # [prefix, [answer, ...]]
        self._servers = []  # (prefix, fn)
        self._log = []     # (method, path, body)
        self._httpd = None

    def start(self):
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.socket = self._server_tls.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.proxy = self
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.directory_url = "https://127.0.0.1:%d/dir" % self._httpd.server_address[1]
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def rewrite(self, prefix, fn):
        with self._lock:
            self._rules.append((prefix, fn))

    def fail(self, prefix, answers):
        with self._lock:
            self._faults.append([prefix, list(answers)])

    def serve(self, prefix, fn):
        with self._lock:
            self._servers.append((prefix, fn))

    def clear(self):
        with self._lock:
            self._rules.clear()
            self._faults.clear()
            self._servers.clear()
            self._log.clear()

    def requests(self):
        with self._lock:
            return [(method, path) for method, path, _ in self._log]

    def bodies(self, prefix):
        with self._lock:
            return [body for _, path, body in self._log if path.startswith(prefix)]

    def _seen(self, method, path, body):
        with self._lock:
            self._log.append((method, path, body))

    def _served(self, method, path, body):
        with self._lock:
            servers = list(self._servers)
        for prefix, fn in servers:
            if path.startswith(prefix):
                return fn(method, path, body)
        return None

    def _rewrites(self):
        with self._lock:
            return list(self._rules)

    def _canned(self, path):
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault[0]) and fault[1]:
                    return fault[1].pop(0)
        return None
