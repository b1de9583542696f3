#!/usr/bin/python3
"""A nameserver that misbehaves: it forwards each query to a real one (BIND on
loopback) and spoils the answer as its mode says, to show what the
propagation check does with a server it cannot trust.

    dns = FaultDNS(upstream=("127.53.1.1", 53)).start()   # dns.address: "127.0.0.1:PORT"
    dns.mode = "refused"   # or "servfail", "silent", "no-aa", "truncate", "jitter", None (forward)
    dns.queries            # how many arrived (UDP and TCP); dns.tcp_queries: over TCP
    dns.ids                # the id of each, in the order they came
    dns.stop()

"truncate" answers UDP with TC set and no records, TCP in full: a client
must retry over TCP. "jitter" forwards each answer after a random 0-50 ms, so
that answers to queries sent together come back in another order, as a real
resolver's do (a cached name is answered at once, another is looked up).
Needs Debian's python3-dnspython.
"""

import random
import socket
import socketserver
import struct
import threading
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode


class FaultDNS:
    def __init__(self, upstream):
        self.upstream = upstream
        self.mode = None
        self.queries = 0
        self.tcp_queries = 0
        self.ids = []
        self._lock = threading.Lock()
        self._servers = []

    def answer(self, wire, tcp):
        """The reply to one query's wire, or None for silence."""
        query = dns.message.from_wire(wire)
        with self._lock:
            self.queries += 1
            self.tcp_queries += tcp
            self.ids.append(query.id)
            mode = self.mode
        if mode == "silent":
            return None
        if mode in ("refused", "servfail"):
            reply = dns.message.make_response(query)
            reply.set_rcode(dns.rcode.REFUSED if mode == "refused" else dns.rcode.SERVFAIL)
            return reply.to_wire()
        if mode == "truncate" and not tcp:
            reply = dns.message.make_response(query)
            reply.flags |= dns.flags.TC | dns.flags.AA
            return reply.to_wire()
        reply = dns.query.udp(query, self.upstream[0], port=self.upstream[1], timeout=2)
        if mode == "jitter":
            time.sleep(random.uniform(0, 0.05))
        if mode == "no-aa":
            reply.flags &= ~dns.flags.AA
        return reply.to_wire()

    def start(self):
        fault = self

        class UDP(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                out = fault.answer(data, tcp=False)
                if out is not None:
                    sock.sendto(out, self.client_address)

        class TCP(socketserver.BaseRequestHandler):
            def handle(self):
                head = self.request.recv(2)
                if len(head) < 2:
                    return
                (length,) = struct.unpack("!H", head)
                data = b""
                while len(data) < length:
                    chunk = self.request.recv(length - len(data))
                    if not chunk:
                        return
                    data += chunk
                out = fault.answer(data, tcp=True)
                if out is not None:
                    self.request.sendall(struct.pack("!H", len(out)) + out)

        udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), UDP)
        port = udp.server_address[1]
        tcp = socketserver.ThreadingTCPServer(("127.0.0.1", port), TCP, bind_and_activate=False)
        tcp.allow_reuse_address = True
        tcp.server_bind()
        tcp.server_activate()
        for server in (udp, tcp):
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self._servers.append(server)
        self.address = "127.0.0.1:%d" % port
        return self

    def stop(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []
