"""The part the provider fakes share: writing accepted TXT changes to the
harness's BIND primary with TSIG-signed dynamic updates, so Pebble sees what a
plugin published through a fake API.

    primary = Primary("127.53.1.1", ("acme-update", b64secret, "hmac-sha256"))
    msg = primary.update("example.test")
    msg.add("_acme-challenge.example.test.", 60, "TXT", '"value"')
    error = primary.send(msg)   # None, or the RCODE's name ("REFUSED")
"""

import dns.query
import dns.rcode
import dns.tsigkeyring
import dns.update


def parse_tsig(text):
    """NAME:BASE64SECRET[:ALGORITHM] (the fakes' --tsig) -> (name, secret,
    algorithm); the algorithm defaults to hmac-sha256."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError("--tsig wants NAME:BASE64SECRET[:ALGORITHM], not %r" % text)
    return parts[0], parts[1], parts[2] if len(parts) == 3 else "hmac-sha256"


class Primary:
    """A BIND primary that accepts TSIG-signed UPDATEs.
    server: HOST[:PORT] (port 53 by default); tsig: (key name, base64 secret,
    algorithm), names without the trailing dot."""

    def __init__(self, server, tsig):
        host, _, port = server.partition(":")
        self.host, self.port = host, int(port or 53)
        name, secret, algorithm = tsig
        self.keyring = dns.tsigkeyring.from_text({name + ".": secret})
        self.keyname = name + "."
        self.algorithm = algorithm + "."

    def update(self, zone):
        """An empty signed UPDATE of zone (with or without the trailing dot)
        for the caller to fill with add / delete."""
        return dns.update.UpdateMessage(zone.rstrip(".") + ".", keyring=self.keyring,
                                        keyname=self.keyname, keyalgorithm=self.algorithm)

    def send(self, msg):
        """Send msg over TCP: None when the primary applied it, else the name
        of the RCODE it answered. A bad reply TSIG raises (dnspython checks it)."""
        reply = dns.query.tcp(msg, self.host, port=self.port, timeout=5)
        if reply.rcode() == dns.rcode.NOERROR:
            return None
        return dns.rcode.to_text(reply.rcode())
