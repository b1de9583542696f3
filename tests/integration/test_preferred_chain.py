"""--preferred-chain: Pebble offers a second chain up to another root (Link
rel="alternate"); dnsacme picks the one whose top certificate that root issued."""

import unittest

from cryptography import x509
from cryptography.x509.oid import NameOID

import harness


def common_name(pem_path):
    with open(pem_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    return cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


class PreferredChainTest(harness.IntegrationTestCase):

    ENV_OPTIONS = {"alternate_roots": 1}

    def test_default_chain(self):
        info, _ = self.issue(["chain-default.example.test"])
        self.assertIsNotNone(harness.chain_problem(info["out"], self.env.pebble_roots[1]))

    def test_alternate_chain(self):
        issuer = common_name(self.env.pebble_roots[1])
        info, _ = self.issue(["chain-alternate.example.test"],
                             args=["--preferred-chain", issuer], root=1)
        self.assertIsNotNone(harness.chain_problem(info["out"], self.env.pebble_roots[0]))

    def test_unknown_issuer_keeps_the_default(self):
        info, _ = self.issue(["chain-unknown.example.test"],
                             args=["--preferred-chain", "No Such Root CA"])
        self.assertIsNone(harness.chain_problem(info["out"], self.env.pebble_roots[0]))


if __name__ == "__main__":
    unittest.main()
