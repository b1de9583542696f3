"""The private keys never enter the process that talks to the network: with
an issuance paused in its deploy hook (the account used, the certificate
key made, its CSR sent and the key written), that process's memory holds
neither the account key nor the certificate's key, in any form OpenSSL or a
PEM file keeps them — while the account key's own process, scanned the same
way, does hold it (so the scan can find what it looks for). That process is
confined by seccomp."""

import os
import re
import time
import unittest

from cryptography.hazmat.primitives import serialization

import harness


def private_forms(pem_path):
    """Byte strings by which a key's secret can be recognised in memory:
    the private scalar (EC d / RSA d) big- and little-endian (OpenSSL's
    BIGNUM keeps limbs least significant first), and a line of the PEM."""
    with open(pem_path, "rb") as f:
        data = f.read()
    key = serialization.load_pem_private_key(data, password=None)
    numbers = key.private_numbers()
    secret = numbers.private_value if hasattr(numbers, "private_value") else numbers.d
    raw = secret.to_bytes((secret.bit_length() + 7) // 8, "big")
    body = [line for line in data.splitlines() if line and not line.startswith(b"-----")]
    return {"scalar": raw, "scalar-le": raw[::-1], "pem line": body[1]}


PAGE = os.sysconf("SC_PAGE_SIZE")
SHADOW = 64 << 30


def regions(pid):
    """(start, end) of pid's readable mappings that have pages in memory
    (smaps' Rss), but none of 64 GiB or more: that is a sanitizer's shadow
    of the rest, which holds no bytes of ours."""
    found, current = [], None
    with open("/proc/%d/smaps" % pid) as smaps:
        for line in smaps:
            head = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            if head:
                current = None
                if head.group(3).startswith("r") and "[vvar]" not in line \
                        and "[vsyscall]" not in line:
                    current = (int(head.group(1), 16), int(head.group(2), 16))
            elif current and line.startswith("Rss:") and int(line.split()[1]) > 0 \
                    and current[1] - current[0] < SHADOW:
                found.append(current)
    return found


def present_runs(pagemap, start, end):
    """The runs (start, end) of pages in memory between start and end, from
    /proc/PID/pagemap (bit 63: present), so untouched pages are not read."""
    pagemap.seek(start // PAGE * 8)
    entries = pagemap.read((end - start) // PAGE * 8)
    run = None
    for i in range(0, len(entries), 8):
        present = entries[i + 7] & 0x80
        at = start + i // 8 * PAGE
        if present and run is None:
            run = at
        elif not present and run is not None:
            yield run, at
            run = None
    if run is not None:
        yield run, end


def scan(pid, forms):
    """The names of the forms found anywhere in pid's memory."""
    found = set()
    with open("/proc/%d/mem" % pid, "rb", 0) as mem, \
            open("/proc/%d/pagemap" % pid, "rb", 0) as pagemap:
        for start, end in regions(pid):
            for run_start, run_end in present_runs(pagemap, start, end):
                try:
                    mem.seek(run_start)
                    chunk = mem.read(run_end - run_start)
                except OSError:
                    continue
                found.update(name for name, needle in forms.items() if needle in chunk)
    return found


def read(path):
    with open(path) as f:
        return f.read()


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(p) for p in f.read().split()]


def seccomp_mode(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^Seccomp:\s+(\d)", f.read(), re.M).group(1))


class KeysApartTest(harness.IntegrationTestCase):

    def test_network_process_holds_no_key(self):
        out = self.out_dir()
        go = os.path.join(self.env.tmp, "go")
        paused = os.path.join(self.env.tmp, "paused")
        hook = "echo $PPID > %s; while [ ! -e %s ]; do sleep 0.05; done" % (paused, go)
        run = self.env.dnsacme_start("issue", "--dns", "rfc2136", "--agree-tos",
                                     "-d", "apart.example.test", "--out", out,
                                     "--deploy-hook", hook, "--quiet")
        try:
            harness.wait_for(lambda: os.path.exists(paused) and read(paused).strip(), 60)
            network = int(read(paused))
            self.assertEqual(network, run.proc.pid)
            account_key = [os.path.join(d, f) for d, _, files in os.walk(self.env.state_dir)
                           for f in files if f == "account.key"]
            self.assertEqual(len(account_key), 1, account_key)
            account = private_forms(account_key[0])
            certificate = private_forms(os.path.join(out, "privkey.pem"))

            self.assertEqual(scan(network, account), set(), "account key in the network process")
            self.assertEqual(scan(network, certificate), set(),
                             "certificate key in the network process")

            # The one child besides the hook is the account key's process:
            # it holds the key, and is filtered.
            keyprocs = [p for p in children(network)
                        if not read("/proc/%d/cmdline" % p).startswith("sh\0")]
            self.assertEqual(len(keyprocs), 1, keyprocs)
            self.assertEqual(seccomp_mode(keyprocs[0]), 2)
            self.assertIn("scalar-le", scan(keyprocs[0], account))
        finally:
            open(go, "w").close()
            result = run.wait(60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.env.verify_certificate(out, ["apart.example.test"], "ec256")


if __name__ == "__main__":
    unittest.main()
