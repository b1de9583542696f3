#!/usr/bin/python3
"""Real services on loopback for dnsacme's integration tests.

    with harness.Env() as env:
        result = env.dnsacme("issue", "-d", "example.test", "--dns", "rfc2136", ...)
        env.verify_certificate(out_dir, ["example.test"], "ec256")

An Env takes a slot N (an exclusive flock on /tmp/dnsacme-test-slot-N.lock, N in
1..20) so parallel test processes never share an address or port, then starts:

  127.53.N.1:53   BIND primary: the test zones, TSIG key acme-update. allowed to
                  change TXT records anywhere in them (update-policy zonesub TXT)
  127.53.N.2:53   BIND secondary of every zone (IXFR on NOTIFY, or only when told
                  to with secondary_lag=True)
  127.53.N.3:53   BIND resolver (static-stub to the primary): dnsacme's
                  --dns-resolvers (CNAME following, zone discovery)
  127.53.N.4:53   the same again for Pebble (-dnsserver): a resolver, because an
                  authoritative server answers a CNAME query with the CNAME alone
                  and Pebble does not chase it; a separate one, as a real CA's is,
                  because BIND caches even with max-ncache-ttl 0 until the next
                  second, and dnsacme's lookup of _acme-challenge.NAME before it
                  publishes would hand Pebble a cached NXDOMAIN
  127.0.0.1:14000+N  Pebble ACME, 15000+N its management API, over TLS with a
                  throwaway CA generated for this run

Everything is torn down on exit, on an exception, on SIGTERM and on Ctrl-C.
Children also get PR_SET_PDEATHSIG, so a harness killed with SIGKILL does not
leave servers behind; the next user of the slot replaces its addresses.

From the shell (run as root, with Debian's /usr/bin/python3):
  harness.py up      print the environment as shell variables, wait for Ctrl-C
  harness.py demo    issue example.test + *.example.test with dnsacme, print it

One test file by hand, keeping the servers' logs and configuration:
  cd tests/integration
  DNSACME_KEEP_TMP=1 DNSACME_BIN=../../build/bin/dnsacme \\
      /usr/bin/python3 -m unittest -v test_apex_wildcard
"""

import argparse
import atexit
import base64
import contextlib
import ctypes
import datetime
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import dns.zone

SLOTS = range(1, 21)
SLOT_LOCK = "/tmp/dnsacme-test-slot-{}.lock"
ZONES = ("example.test", "validation.test")
TSIG_KEY = "acme-update"
TSIG_ALGORITHM = "hmac-sha256"
# Pebble defaults to 5 years; Let's Encrypt issues for 90 days.
CERT_VALIDITY_SECONDS = 7776000
STARTUP_TIMEOUT = 30.0
SYSTEM_CA_STORE = "/etc/ssl/certs/ca-certificates.crt"

# _acme-challenge.delegated.example.test is a CNAME into the dedicated challenge
# zone, as with acme-dns style delegation.
CNAME_NAME = "delegated.example.test"
CNAME_TARGET = "delegated.validation.test"

# Pebble 2.4 panics on an order for a name with fewer labels than a blocklist
# entry, so the entry has two labels, as few as any name we order.
BLOCKED_DOMAIN = "blocked.test"

KEY_TYPES = ("ec256", "ec384", "rsa2048", "rsa3072", "rsa4096")

PR_SET_PDEATHSIG = 1


class HarnessError(Exception):
    """A service did not come up, or a check of the harness itself failed."""


def _die_with_parent():
    # Runs in the child between fork and exec: if the harness dies, even by
    # SIGKILL, the kernel kills its servers too.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run(argv, **kwargs):
    """Run a helper program; raise HarnessError with its output on failure."""
    proc = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if proc.returncode != 0:
        raise HarnessError("%s failed (%d): %s" % (argv[0], proc.returncode,
                                                    (proc.stderr or proc.stdout).strip()))
    return proc.stdout


def _tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class _Slot:
    """An exclusive claim on one of SLOTS, held until release()."""

    def __init__(self):
        for n in SLOTS:
            fd = os.open(SLOT_LOCK.format(n), os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.n, self._fd = n, fd
            return
        raise HarnessError("all %d test slots are busy (%s)" % (len(SLOTS), SLOT_LOCK))

    def release(self):
        os.close(self._fd)  # closing drops the flock


class _TimedLog:
    """Reads a child's output line by line, stamping each with time.monotonic()
    as it arrives, so tests can order server events against their own."""

    def __init__(self, stream, path):
        self.lines = []
        self._lock = threading.Lock()
        self._file = open(path, "w")
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in iter(stream.readline, ""):
            stamp = time.monotonic()
            with self._lock:
                self.lines.append((stamp, line.rstrip("\n")))
            self._file.write(line)
            self._file.flush()
        self._file.close()

    def snapshot(self):
        with self._lock:
            return list(self.lines)

    def join(self):
        self._thread.join(timeout=5)


class Env:
    """The loopback services for one test process. Use as a context manager.

    zones: extra zones (besides example.test and validation.test) to serve.
    secondary_lag: the secondary ignores the primary (no NOTIFY is sent) and
      transfers only when the test calls sync_secondary().
    eab: Pebble requires External Account Binding; self.eab is (kid, hmac_key).
    nonce_reject: percentage of good nonces Pebble rejects with badNonce; None
      keeps Pebble's default (5), which tests want: clients must retry.
    alternate_roots: how many more roots (and chains) Pebble offers than the
      default one; self.pebble_roots[i] is root i's PEM file.
    """

    def __init__(self, zones=(), secondary_lag=False, eab=False, nonce_reject=None,
                 alternate_roots=0):
        self.zones = list(ZONES) + [z for z in zones if z not in ZONES]
        self.secondary_lag = secondary_lag
        self.eab = None
        self._want_eab = eab
        self._nonce_reject = nonce_reject
        self._alternate_roots = alternate_roots
        self._procs = []
        self._named = {}  # role -> named process
        self._addrs = []
        self._slot = None
        self._old_sigterm = None
        self.tmp = None

    # -- lifecycle -------------------------------------------------------

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old_sigterm = signal.signal(signal.SIGTERM, _raise_on_sigterm)
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _start(self):
        if os.geteuid() != 0:
            raise HarnessError("the harness needs root: it adds 127.53.N.x to lo "
                               "and binds port 53")
        self._slot = _Slot()
        n = self.slot = self._slot.n
        self.tmp = tempfile.mkdtemp(prefix="dnsacme-it-%d-" % n)
        self.primary = "127.53.%d.1" % n
        self.secondary = "127.53.%d.2" % n
        self.resolver = "127.53.%d.3" % n
        self.ca_resolver = "127.53.%d.4" % n
        self.acme_port = 14000 + n
        self.mgmt_port = 15000 + n
        self.directory_url = "https://127.0.0.1:%d/dir" % self.acme_port
        self.tsig_secret = base64.b64encode(secrets.token_bytes(32)).decode()
        self._rndc_secret = base64.b64encode(secrets.token_bytes(32)).decode()
        self.state_dir = os.path.join(self.tmp, "state")
        os.mkdir(self.state_dir, 0o700)

        for addr in (self.primary, self.secondary, self.resolver, self.ca_resolver):
            # replace, not add: a SIGKILLed predecessor in this slot may have
            # left the address behind.
            _run(["ip", "addr", "replace", addr + "/32", "dev", "lo"])
            self._addrs.append(addr)

        self._write_rndc_conf()
        self._start_named("primary", self._primary_conf())
        self._start_named("secondary", self._secondary_conf())
        self._start_named("resolver", self._resolver_conf("resolver", self.resolver))
        self._start_named("ca-resolver", self._resolver_conf("ca-resolver", self.ca_resolver))
        for role in self._named:
            self._wait_until_serving(role)
        self._start_pebble()

    def close(self):
        """Stop every service, remove the addresses and the temporary
        directory, give back the slot. Safe to call more than once."""
        for proc, _ in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
        for proc, log in reversed(self._procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if isinstance(log, _TimedLog):
                log.join()
                proc.stdout.close()
        self._procs = []
        for addr in self._addrs:
            subprocess.run(["ip", "addr", "del", addr + "/32", "dev", "lo"],
                           capture_output=True)
        self._addrs = []
        if self.tmp:
            if os.environ.get("DNSACME_KEEP_TMP"):
                print("harness: kept %s" % self.tmp, file=sys.stderr)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        if self._slot:
            self._slot.release()
            self._slot = None
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    # -- BIND ------------------------------------------------------------

    def _key_clauses(self):
        return ('key "%s." { algorithm %s; secret "%s"; };\n'
                'key "rndc" { algorithm hmac-sha256; secret "%s"; };\n'
                % (TSIG_KEY, TSIG_ALGORITHM, self.tsig_secret, self._rndc_secret))

    def _options(self, role, addr, extra):
        workdir = os.path.join(self.tmp, role)
        os.mkdir(workdir)
        return workdir, (
            'options {\n'
            '  directory "%(d)s";\n'
            '  pid-file "%(d)s/named.pid";\n'
            '  session-keyfile "%(d)s/session.key";\n'
            '  managed-keys-directory "%(d)s";\n'
            '  listen-on port 53 { %(a)s; };\n'
            '  listen-on-v6 { none; };\n'
            '  dnssec-validation no;\n'
            '  %(x)s\n'
            '};\n'
            'controls { inet %(a)s port 953 allow { any; } keys { "rndc"; }; };\n'
            % {"d": workdir, "a": addr, "x": extra.replace("\n", "\n  ")}
        ) + self._key_clauses()

    def _zone_text(self, zone):
        # Refresh 3600: the secondary changes only by NOTIFY or rndc, never by
        # its own timer during a test. Negative TTL 1: nothing caches NXDOMAIN.
        text = ("$TTL 60\n"
                "@ SOA ns1.%(z)s. hostmaster.%(z)s. 1 3600 600 86400 1\n"
                "@ NS ns1.%(z)s.\n"
                "@ NS ns2.%(z)s.\n"
                "ns1 A %(p)s\n"
                "ns2 A %(s)s\n" % {"z": zone, "p": self.primary, "s": self.secondary})
        if zone == "example.test":
            text += "_acme-challenge.%s. CNAME %s.\n" % (CNAME_NAME, CNAME_TARGET)
        return text

    def _primary_conf(self):
        workdir, conf = self._options("primary", self.primary, (
            "recursion no;\n"
            "allow-transfer { any; };\n"
            "notify-source %s;\n"
            "notify-delay 0;\n"
            "%s" % (self.primary,
                    "notify no;" if self.secondary_lag else
                    "notify explicit;\nalso-notify { %s; };" % self.secondary)))
        for zone in self.zones:
            with open(os.path.join(workdir, zone + ".db"), "w") as f:
                f.write(self._zone_text(zone))
            conf += ('zone "%s" { type primary; file "%s.db";\n'
                     '  update-policy { grant %s. zonesub TXT; }; };\n'
                     % (zone, zone, TSIG_KEY))
        return conf

    def _secondary_conf(self):
        _, conf = self._options("secondary", self.secondary, (
            "recursion no;\n"
            "transfer-source %s;\n"
            "notify no;" % self.secondary))
        for zone in self.zones:
            conf += ('zone "%s" { type secondary; file "%s.db"; primaries { %s; }; };\n'
                     % (zone, zone, self.primary))
        return conf

    def _resolver_conf(self, role, addr):
        # Caching as little as BIND allows (0 keeps an answer until the next
        # second), so a record removed by one test is not served to the next.
        _, conf = self._options(role, addr, (
            "recursion yes;\n"
            "allow-recursion { any; };\n"
            "query-source address %s;\n"
            "max-cache-ttl 0;\n"
            "max-ncache-ttl 0;\n"
            "servfail-ttl 0;\n"
            "prefetch 0;" % addr))
        for zone in self.zones:
            conf += ('zone "%s" { type static-stub; server-addresses { %s; }; };\n'
                     % (zone, self.primary))
        return conf

    def _write_rndc_conf(self):
        self._rndc_conf = os.path.join(self.tmp, "rndc.conf")
        with open(self._rndc_conf, "w") as f:
            f.write('key "rndc" { algorithm hmac-sha256; secret "%s"; };\n'
                    'options { default-key "rndc"; default-port 953; };\n' % self._rndc_secret)
        os.chmod(self._rndc_conf, 0o600)

    def _spawn(self, argv, log_path, env=None, timed=False):
        if timed:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, env=env,
                                    preexec_fn=_die_with_parent)
            log = _TimedLog(proc.stdout, log_path)
        else:
            with open(log_path, "w") as out:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, env=env,
                                        preexec_fn=_die_with_parent)
            log = log_path
        self._procs.append((proc, log))
        return proc, log

    def _start_named(self, role, conf):
        path = os.path.join(self.tmp, role, "named.conf")
        with open(path, "w") as f:
            f.write(conf)
        os.chmod(path, 0o600)  # holds the TSIG and rndc secrets
        _run(["named-checkconf", path])
        # -g: foreground, log to stderr; -n 1: one worker thread is plenty.
        proc, _ = self._spawn(["named", "-g", "-n", "1", "-c", path],
                              os.path.join(self.tmp, role, "named.log"))
        self._named[role] = proc

    def named_log(self, role):
        """Path of the log of "primary", "secondary", "resolver", "ca-resolver"."""
        return os.path.join(self.tmp, role, "named.log")

    def _wait_until_serving(self, role):
        """Until the named of role answers for every zone (the secondary: has
        transferred it; a resolver: reaches the primary through it)."""
        proc, addr = self._named[role], self._address(role)
        recursive = role.endswith("resolver")
        deadline = time.monotonic() + STARTUP_TIMEOUT
        pending = list(self.zones)
        while pending:
            if proc.poll() is not None:
                raise HarnessError("named (%s) exited: %s" % (role, _tail(self.named_log(role))))
            if time.monotonic() > deadline:
                raise HarnessError("named (%s) does not serve %s: %s"
                                   % (role, pending, _tail(self.named_log(role))))
            if self._soa_serial(pending[0], addr, recursive) is not None:
                pending.pop(0)
            else:
                time.sleep(0.05)

    def _soa_serial(self, zone, server, recursive=False):
        """The zone's SOA serial as server answers it (authoritatively, unless
        recursive), or None."""
        try:
            reply = self._query(zone, "SOA", server, recursive=recursive, timeout=0.5)
        except (dns.exception.Timeout, OSError):
            return None
        if reply.rcode() != dns.rcode.NOERROR or not (recursive or reply.flags & dns.flags.AA):
            return None
        for rrset in reply.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return rrset[0].serial
        return None

    def update_log(self):
        """The primary's log lines for each record an UPDATE added or deleted:
        "... updating zone 'example.test/IN': adding an RR at '...' TXT ..."."""
        with open(self.named_log("primary"), errors="replace") as f:
            return [line.rstrip("\n") for line in f if ": updating zone '" in line]

    def incoming_updates(self):
        """How many UPDATE messages the primary has received (its statistics)."""
        path = os.path.join(self.tmp, "primary", "named.stats")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        self.rndc("primary", "stats")
        with open(path) as f:
            section = re.search(r"\+\+ Incoming Requests \+\+\n((?: +\d+ \S+\n)*)", f.read())
        counts = dict(reversed(line.split()) for line in section.group(1).splitlines())
        return int(counts.get("UPDATE", 0))

    def rndc(self, server, *args):
        """Run rndc against one of our servers ("primary", "secondary", ...)."""
        return _run(["rndc", "-c", self._rndc_conf, "-s", self._address(server)] + list(args))

    def sync_secondary(self):
        """Make the secondary transfer every zone now; return when it serves the
        primary's serials as they were when called, or newer ones (the primary
        may move on while the secondary transfers), and has no transfer left
        to do: one still queued would copy what a later test publishes to the
        secondary behind that test's back (for secondary_lag=True
        environments)."""
        want = {zone: self._soa_serial(zone, self.primary) for zone in self.zones}
        for zone in self.zones:
            self.rndc("secondary", "retransfer", zone)

        def behind(zone):
            have = self._soa_serial(zone, self.secondary)
            return have is None or (want[zone] is not None and have < want[zone])

        def transferring():
            status = self.rndc("secondary", "status")
            return any(int(n) for n in re.findall(
                r"^(?:xfers running|xfers deferred|soa queries in progress): (\d+)$",
                status, re.M))

        deadline = time.monotonic() + 10
        while any(behind(z) for z in want) or transferring():
            if time.monotonic() > deadline:
                raise HarnessError("secondary did not catch up: %s"
                                   % _tail(self.named_log("secondary")))
            time.sleep(0.05)

    # -- DNS queries -------------------------------------------------------

    def _address(self, server):
        return {"primary": self.primary, "secondary": self.secondary,
                "resolver": self.resolver, "ca-resolver": self.ca_resolver}.get(server, server)

    def _query(self, name, rdtype, server, recursive, timeout=2.0):
        query = dns.message.make_query(name, rdtype)
        if not recursive:
            query.flags &= ~dns.flags.RD
        try:
            return dns.query.udp(query, server, timeout=timeout)
        except dns.message.Truncated:
            return dns.query.tcp(query, server, timeout=timeout)

    def txt(self, name, server="primary"):
        """Sorted TXT values at name on server ("primary", "secondary",
        "resolver", "ca-resolver" or an address). Authoritative servers are
        asked without recursion; resolvers with it, and follow CNAMEs."""
        addr = self._address(server)
        reply = self._query(name, "TXT", addr,
                            recursive=addr in (self.resolver, self.ca_resolver))
        values = []
        for rrset in reply.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                values.extend(b"".join(rd.strings).decode() for rd in rrset)
        return sorted(values)

    def challenge_txt_records(self):
        """{name: [values]} of every TXT record at an _acme-challenge name in
        any zone on the primary (zone transfer). Tests expect it empty."""
        found = {}
        for zone in self.zones:
            z = dns.zone.from_xfr(dns.query.xfr(self.primary, zone, timeout=5))
            for name, node in z.nodes.items():
                rdataset = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT)
                if rdataset is None or not name.labels or \
                        name.labels[0].lower() != b"_acme-challenge":
                    continue
                fqdn = name.derelativize(z.origin).to_text(omit_final_dot=True)
                found[fqdn] = sorted(b"".join(rd.strings).decode() for rd in rdataset)
        return found

    def update(self, zone, adds=(), deletes=(), secret=None):
        """Send one TSIG-signed UPDATE (as nsupdate would) to the primary.
        adds: (name, ttl, value); deletes: (name, value). Returns the reply's
        rcode as text ("NOERROR", "REFUSED", ...), or the TSIG error ("BADSIG",
        "BADKEY", "BADTIME") when the server refused the signature."""
        keyring = dns.tsigkeyring.from_text({TSIG_KEY + ".": secret or self.tsig_secret})
        msg = dns.update.UpdateMessage(zone, keyring=keyring, keyname=TSIG_KEY + ".",
                                       keyalgorithm=TSIG_ALGORITHM + ".")
        for name, ttl, value in adds:
            msg.add(name + ".", ttl, "TXT", '"%s"' % value)
        for name, value in deletes:
            msg.delete(name + ".", "TXT", '"%s"' % value)
        try:
            return dns.rcode.to_text(dns.query.tcp(msg, self.primary, timeout=5).rcode())
        except dns.tsig.PeerBadKey:
            return "BADKEY"
        except dns.tsig.PeerBadSignature:
            return "BADSIG"
        except dns.tsig.PeerBadTime:
            return "BADTIME"

    # -- Pebble ------------------------------------------------------------

    def _make_tls_certificate(self):
        d = os.path.join(self.tmp, "pebble")
        os.mkdir(d)
        self.tls_ca = os.path.join(d, "tls-ca.pem")
        self._tls_cert = os.path.join(d, "tls-cert.pem")
        self._tls_key = os.path.join(d, "tls-key.pem")
        ca_key, csr, ext = (os.path.join(d, f) for f in ("tls-ca.key", "tls.csr", "tls.ext"))
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        _run(["openssl", "req", "-x509"] + ec + ["-keyout", ca_key, "-out", self.tls_ca,
             "-days", "2", "-subj", "/CN=dnsacme test TLS CA %d" % self.slot])
        _run(["openssl", "req"] + ec + ["-keyout", self._tls_key, "-out", csr,
             "-subj", "/CN=localhost"])
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "extendedKeyUsage=serverAuth\n")
        _run(["openssl", "x509", "-req", "-in", csr, "-CA", self.tls_ca, "-CAkey", ca_key,
              "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", self._tls_cert])
        return d

    def _start_pebble(self):
        d = self._make_tls_certificate()
        config = {
            "listenAddress": "127.0.0.1:%d" % self.acme_port,
            "managementListenAddress": "127.0.0.1:%d" % self.mgmt_port,
            "certificate": self._tls_cert,
            "privateKey": self._tls_key,
            # Pebble would connect here for http-01 / tls-alpn-01; nobody listens.
            "httpPort": 16000 + self.slot,
            "tlsPort": 17000 + self.slot,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": self._want_eab,
            "certificateValidityPeriod": CERT_VALIDITY_SECONDS,
            # Pebble refuses BLOCKED_DOMAIN and names under it with a
            # rejectedIdentifier problem document.
            "domainBlocklist": [BLOCKED_DOMAIN],
        }
        if self._want_eab:
            kid = "kid-%s" % secrets.token_hex(4)
            hmac_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
            config["externalAccountMACKeys"] = {kid: hmac_key}
            self.eab = (kid, hmac_key)
        path = os.path.join(d, "pebble-config.json")
        with open(path, "w") as f:
            json.dump({"pebble": config}, f, indent=1)
        os.chmod(path, 0o600)
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1")
        if self._nonce_reject is not None:
            env["PEBBLE_WFE_NONCEREJECT"] = str(self._nonce_reject)
        if self._alternate_roots:
            env["PEBBLE_ALTERNATE_ROOTS"] = str(self._alternate_roots)
        proc, self.pebble_log = self._spawn(
            ["pebble", "-config", path, "-dnsserver", self.ca_resolver + ":53"],
            os.path.join(d, "pebble.log"), env=env, timed=True)
        self._tls_context = ssl.create_default_context(cafile=self.tls_ca)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise HarnessError("pebble exited: %s" % _tail(os.path.join(d, "pebble.log")))
            try:
                self.directory = json.loads(self.https_get(self.directory_url))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise HarnessError("pebble does not answer on %s" % self.directory_url)
                time.sleep(0.05)
        self.pebble_roots = []
        for i in range(1 + self._alternate_roots):
            self.pebble_roots.append(os.path.join(d, "root-%d.pem" % i))
            with open(self.pebble_roots[i], "w") as f:
                f.write(self.mgmt_get("/roots/%d" % i))
        self.pebble_root = self.pebble_roots[0]  # the default chain's

    def ca_proxy(self):
        """A started caproxy.CAProxy in front of this Pebble (stop() it); it
        serves with Pebble's own certificate, so --ca-bundle stays the same."""
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "fakes"))
        import caproxy
        return caproxy.CAProxy(self.acme_port, self._tls_cert, self._tls_key,
                               self.tls_ca).start()

    def https_get(self, url):
        """GET url over TLS verified with the run's CA; the body as text."""
        with urllib.request.urlopen(url, context=self._tls_context, timeout=10) as reply:
            return reply.read().decode()

    def mgmt_get(self, path):
        return self.https_get("https://127.0.0.1:%d%s" % (self.mgmt_port, path))

    def cert_status(self, serial_hex):
        """Pebble's record of a certificate: {"Status": "Valid"|"Revoked", ...}."""
        return json.loads(self.mgmt_get("/cert-status-by-serial/%s" % serial_hex.lower()))

    def pebble_validations(self):
        """monotonic times at which Pebble's VA began validating a challenge."""
        return [t for t, line in self.pebble_log.snapshot()
                if "Pulled a task from the Tasks queue" in line]

    # -- dnsacme -----------------------------------------------------------

    def dnsacme_env(self, extra_env=None):
        """The process environment for dnsacme: ours, the rfc2136 plugin's
        variables for the primary, then extra_env (None values unset)."""
        env = dict(os.environ)
        env.update({
            "RFC2136_NAMESERVER": self.primary,
            "RFC2136_TSIG_KEY": TSIG_KEY,
            "RFC2136_TSIG_SECRET": self.tsig_secret,
            "RFC2136_TSIG_ALGORITHM": TSIG_ALGORITHM,
        })
        env.update(extra_env or {})
        return {k: v for k, v in env.items() if v is not None}

    def dnsacme_argv(self, *args, defaults=True):
        """argv for the binary in DNSACME_BIN, with this environment's CA,
        resolvers and state dir added for the commands that take them. The
        plugin directory comes from DNSACME_PLUGIN_DIR in the environment."""
        binary = os.environ.get("DNSACME_BIN")
        if not binary:
            raise HarnessError("DNSACME_BIN is not set (CMake sets it for ctest)")
        argv = [binary] + list(args)
        if not defaults or not args:
            return argv
        server = ["--server", self.directory_url, "--ca-bundle", self.tls_ca,
                  "--state-dir", self.state_dir]
        resolvers = ["--dns-resolvers", self.resolver]
        extra = {"issue": server + resolvers, "renew": server + resolvers,
                 "revoke": server, "present": resolvers, "cleanup": resolvers}
        flags = extra.get(args[0], [])
        # A flag the caller gave wins: its default (the flag and its value) is left out.
        given = {a.split("=", 1)[0] for a in args}
        if "--state-secret" in given:
            given.add("--state-dir")
        for i in range(0, len(flags), 2):
            if flags[i] not in given:
                argv += flags[i:i + 2]
        return argv

    def dnsacme(self, *args, extra_env=None, timeout=180, defaults=True):
        """Run dnsacme to completion: CompletedProcess with text stdout/stderr.
        extra_env values of None remove a variable."""
        return subprocess.run(self.dnsacme_argv(*args, defaults=defaults),
                              env=self.dnsacme_env(extra_env), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def dnsacme_start(self, *args, extra_env=None, defaults=True):
        """Start dnsacme in the background; see Background."""
        out = tempfile.mkdtemp(prefix="run-", dir=self.tmp)
        return Background(self.dnsacme_argv(*args, defaults=defaults),
                          self.dnsacme_env(extra_env), out)

    def real_trust_bundle(self):
        """A CA bundle as a client of a real CA has: the system's store (some
        140 CAs, which a client may read again for each connection), with
        this environment's CA for Pebble added. Its path, made once."""
        path = os.path.join(self.tmp, "trust.pem")
        if not os.path.exists(path):
            with open(path, "w") as out, open(SYSTEM_CA_STORE) as system, \
                    open(self.tls_ca) as ours:
                out.write(system.read() + ours.read())
        return path

    # -- certificates ------------------------------------------------------

    def verify_certificate(self, out_dir, names, key_type, root=0):
        """Check what `dnsacme issue --out out_dir` wrote, its chain against
        Pebble's root number root; raise AssertionError naming the first
        problem. Returns {"serial": hex, "not_after": datetime}."""
        return verify_certificate(out_dir, names, key_type, self.pebble_roots[root],
                                  self.directory_url)

    def shell_variables(self):
        return {
            "DNSACME_TEST_SLOT": str(self.slot),
            "DNSACME_TEST_TMP": self.tmp,
            "ACME_DIRECTORY": self.directory_url,
            "ACME_CA_BUNDLE": self.tls_ca,
            "PEBBLE_MANAGEMENT": "https://127.0.0.1:%d" % self.mgmt_port,
            "PEBBLE_ROOT": self.pebble_root,
            "DNS_PRIMARY": self.primary,
            "DNS_SECONDARY": self.secondary,
            "DNS_RESOLVER": self.resolver,
            "DNS_CA_RESOLVER": self.ca_resolver,
            "DNSACME_STATE_DIR": self.state_dir,
            "RFC2136_NAMESERVER": self.primary,
            "RFC2136_TSIG_KEY": TSIG_KEY,
            "RFC2136_TSIG_SECRET": self.tsig_secret,
            "RFC2136_TSIG_ALGORITHM": TSIG_ALGORITHM,
        }


def wait_for(predicate, timeout=10.0, run=None):
    """Poll predicate every 20 ms: True once it holds, False after timeout
    seconds. With run (a Background), raise AssertionError with its stderr as
    soon as that process exits."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if run is not None and not run.running():
            raise AssertionError("dnsacme exited (%d):\n%s" % (run.proc.returncode,
                                                               run.output()[1]))
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Background:
    """A process whose stdout and stderr go to files in a directory (a pipe
    nobody reads would stall it). It dies with the harness."""

    def __init__(self, argv, env, directory):
        self._paths = [os.path.join(directory, f) for f in ("stdout", "stderr")]
        with open(self._paths[0], "w") as out, open(self._paths[1], "w") as err:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    def running(self):
        return self.proc.poll() is None

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def output(self):
        """(stdout, stderr) so far."""
        texts = []
        for path in self._paths:
            with open(path, errors="replace") as f:
                texts.append(f.read())
        return tuple(texts)

    def wait(self, timeout):
        """Wait for the exit (kill it after timeout seconds) and return a
        CompletedProcess with its output."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        stdout, stderr = self.output()
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, stdout, stderr)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C: unittest lets a KeyboardInterrupt through
    (it would record SystemExit as a failed test and go on), so everything
    unwinds through Env.__exit__ or the atexit hook of IntegrationTestCase."""


def _raise_on_sigterm(signum, frame):
    raise Terminated()


# -- certificate checks (need Debian's python3-cryptography) -----------------

def _expected_key(key_type):
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    if key_type.startswith("ec"):
        curve = {"ec256": ec.SECP256R1, "ec384": ec.SECP384R1}[key_type]
        return lambda k: isinstance(k, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) \
            and isinstance(k.curve, curve)
    bits = int(key_type[3:])
    return lambda k: isinstance(k, (rsa.RSAPrivateKey, rsa.RSAPublicKey)) and k.key_size == bits


def _pem_blocks(text):
    marker = "-----END CERTIFICATE-----"
    return [b.strip() + "\n" + marker for b in text.split(marker) if b.strip()]


def chain_problem(out_dir, root_pem):
    """Why cert.pem in out_dir, with chain.pem as intermediates, does not verify
    as a TLS server certificate under root_pem; None when it does."""
    proc = subprocess.run(["openssl", "verify", "-purpose", "sslserver", "-CAfile", root_pem,
                           "-untrusted", os.path.join(out_dir, "chain.pem"),
                           os.path.join(out_dir, "cert.pem")], capture_output=True, text=True)
    return None if proc.returncode == 0 else (proc.stdout + proc.stderr).strip()


def verify_certificate(out_dir, names, key_type, root_pem, directory_url):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    def read(name):
        with open(os.path.join(out_dir, name)) as f:
            return f.read()

    cert_pem, chain_pem, full_pem, key_pem = (read(f) for f in (
        "cert.pem", "chain.pem", "fullchain.pem", "privkey.pem"))
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)

    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    got = sans.value.get_values_for_type(x509.DNSName)
    if sorted(got) != sorted(names):
        raise AssertionError("certificate names %s, wanted %s" % (sorted(got), sorted(names)))

    matches = _expected_key(key_type)
    if not matches(key):
        raise AssertionError("privkey.pem is not %s" % key_type)
    if not matches(cert.public_key()):
        raise AssertionError("certificate key is not %s" % key_type)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != cert.public_key().public_bytes(*spki):
        raise AssertionError("privkey.pem does not match cert.pem")
    mode = stat.S_IMODE(os.stat(os.path.join(out_dir, "privkey.pem")).st_mode)
    if mode != 0o600:
        raise AssertionError("privkey.pem has mode %o, wanted 600" % mode)

    if _pem_blocks(full_pem) != _pem_blocks(cert_pem) + _pem_blocks(chain_pem):
        raise AssertionError("fullchain.pem is not cert.pem followed by chain.pem")
    if len(_pem_blocks(cert_pem)) != 1 or not _pem_blocks(chain_pem):
        raise AssertionError("cert.pem must hold one certificate, chain.pem at least one")
    problem = chain_problem(out_dir, root_pem)
    if problem:
        raise AssertionError("chain does not verify against %s: %s" % (root_pem, problem))

    lifetime = cert.not_valid_after - cert.not_valid_before
    if abs(lifetime.total_seconds() - CERT_VALIDITY_SECONDS) > 86400:
        raise AssertionError("certificate lifetime %s, wanted ~90 days" % lifetime)

    meta = json.loads(read("metadata.json"))
    serial = "%x" % cert.serial_number
    if sorted(meta.get("names", [])) != sorted(names):
        raise AssertionError("metadata.json names %s" % meta.get("names"))
    if str(meta.get("serial", "")).replace(":", "").lower().lstrip("0") != serial:
        raise AssertionError("metadata.json serial %s, certificate %s" % (meta.get("serial"),
                                                                          serial))
    if meta.get("ca") != directory_url:
        raise AssertionError("metadata.json ca %s, wanted %s" % (meta.get("ca"), directory_url))
    if meta.get("key_type") != key_type:
        raise AssertionError("metadata.json key_type %s" % meta.get("key_type"))
    not_after = datetime.datetime.fromisoformat(meta.get("not_after", "").replace("Z", "+00:00"))
    want = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    if not_after.tzinfo is None or abs((not_after - want).total_seconds()) > 1:
        raise AssertionError("metadata.json not_after %s, certificate %s"
                             % (meta.get("not_after"), want.isoformat()))
    return {"serial": serial, "not_after": want}


# -- unittest support ----------------------------------------------------------

class IntegrationTestCase(unittest.TestCase):
    """One Env per test class (ENV options in ENV_OPTIONS); after every test,
    no TXT record may be left at any _acme-challenge name."""

    ENV_OPTIONS = {}

    @classmethod
    def setUpClass(cls):
        cls.env = Env(**cls.ENV_OPTIONS)
        cls.env.__enter__()
        # tearDownClass does not run when SIGTERM or Ctrl-C stops unittest.
        atexit.register(cls.env.close)

    @classmethod
    def tearDownClass(cls):
        cls.env.close()
        atexit.unregister(cls.env.close)

    def tearDown(self):
        self.assertEqual(self.env.challenge_txt_records(), {},
                         "TXT records left behind on the primary")

    def out_dir(self):
        return tempfile.mkdtemp(prefix="out-", dir=self.env.tmp)

    def issue(self, names, key_type=None, args=(), extra_env=None, root=0):
        """dnsacme issue for names through rfc2136; asserts success and checks
        the certificate (its chain against Pebble's root number root).
        Returns (verify_certificate's dict with "out" added, CompletedProcess)."""
        out = self.out_dir()
        argv = ["issue", "--dns", "rfc2136", "--agree-tos", "--out", out]
        for name in names:
            argv += ["-d", name]
        if key_type:
            argv += ["--key-type", key_type]
        result = self.env.dnsacme(*argv, *args, extra_env=extra_env)
        self.assertEqual(result.returncode, 0, "dnsacme issue failed:\n" + result.stderr)
        self.assertNotIn(self.env.tsig_secret, result.stdout + result.stderr)
        info = self.env.verify_certificate(out, names, key_type or "ec256", root)
        info["out"] = out
        return info, result

    def assert_one_line_error(self, result, *secrets_):
        """Failure as the contract says: exit 1 or 2, stderr exactly one line
        "dnsacme: error: ...", no secret anywhere. Returns the message."""
        self.assertIn(result.returncode, (1, 2), "stderr:\n" + result.stderr)
        lines = result.stderr.strip("\n").split("\n")
        self.assertEqual(len(lines), 1, "wanted one line on stderr:\n" + result.stderr)
        self.assertTrue(lines[0].startswith("dnsacme: error: "), lines[0])
        for secret in (self.env.tsig_secret,) + secrets_:
            self.assertNotIn(secret, result.stdout + result.stderr)
        return lines[0]


class ProxiedTestCase(IntegrationTestCase):
    """An IntegrationTestCase with cls.proxy, a caproxy.CAProxy in front of
    Pebble (tests/fakes/caproxy.py), its rules and log cleared before each
    test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.proxy = cls.env.ca_proxy()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        super().tearDownClass()

    def setUp(self):
        self.proxy.clear()


# -- command line ------------------------------------------------------------

def _shell_up(env):
    for key, value in env.shell_variables().items():
        print("export %s='%s'" % (key, value))
    print("# ready; Ctrl-C (or SIGTERM) tears down", flush=True)
    while True:
        signal.pause()


def _shell_demo(env, out):
    out = os.path.abspath(out) if out else os.path.join(env.tmp, "out")
    argv = ["issue", "-d", "example.test", "-d", "*.example.test", "--dns", "rfc2136",
            "--agree-tos", "--out", out, "-v"]
    print("$ dnsacme " + " ".join(argv), flush=True)
    result = env.dnsacme(*argv, timeout=300)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr.replace(env.tsig_secret, "***"))
    if result.returncode != 0:
        print("demo: dnsacme exited %d" % result.returncode, file=sys.stderr)
        return 1
    info = env.verify_certificate(out, ["example.test", "*.example.test"], "ec256")
    print(_run(["openssl", "x509", "-in", os.path.join(out, "cert.pem"), "-noout",
                "-subject", "-issuer", "-serial", "-dates", "-ext", "subjectAltName"]))
    left = env.challenge_txt_records()
    if left:
        print("demo: TXT records left behind: %s" % left, file=sys.stderr)
        return 1
    print("demo: certificate %s verified against Pebble's root; no TXT record left"
          % info["serial"])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("up", "demo"))
    parser.add_argument("--bin", help="dnsacme binary (default: $DNSACME_BIN)")
    parser.add_argument("--out", help="demo: keep the certificate files here "
                        "(default: a temporary directory, removed)")
    args = parser.parse_args()
    if args.bin:
        os.environ["DNSACME_BIN"] = os.path.abspath(args.bin)
    try:
        with Env() as env:
            return _shell_up(env) if args.command == "up" else _shell_demo(env, args.out)
    except Terminated:
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        # Ctrl-C is how `up` is meant to end.
        return 0 if args.command == "up" else 130


if __name__ == "__main__":
    sys.exit(main())
