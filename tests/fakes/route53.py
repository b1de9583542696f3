#!/usr/bin/python3
"""A fake AWS Route 53 API (2013-04-01) with fake STS, container-credential and
EC2 instance-metadata endpoints, all on one loopback port (path-routed).

Every Route 53 request is checked as AWS does it: the SigV4 signature is
recomputed with Debian's python3-botocore (SignatureDoesNotMatch), an X-Amz-Date
more than 5 minutes off is RequestExpired, an unknown key is
InvalidClientTokenId, and a temporary key (ASIA...) without its signed
X-Amz-Security-Token is refused. The operations answer with AWS's XML shapes:
ListHostedZonesByName, ListResourceRecordSets (paged, labels-reversed order),
ChangeResourceRecordSets (CREATE / UPSERT / DELETE validated like AWS,
InvalidChangeBatch), GetChange (PENDING on the first poll and for about a
second, then INSYNC). Changes to a public zone are applied to a real BIND
primary with one TSIG-signed UPDATE per batch, so Pebble validates them. A
private zone with the same name exists beside each public one (split horizon).

In a test (Debian's /usr/bin/python3):

    fake = FakeRoute53("AKIDEXAMPLE", "secret", ["example.test"],
                       dns_server="127.53.1.1",
                       tsig=("acme-update", b64secret, "hmac-sha256"))
    fake.start()                    # fake.url: http://127.0.0.1:PORT
    fake.throttle(3)                # the next 3 API requests get Throttling
    fake.minted_secrets()           # temporary secrets handed out (for log checks)
    fake.stats()                    # {"ListHostedZonesByName": 1, ...}
    fake.set_txt("example.test", "_acme-challenge.example.test", ["foreign"])
    fake.stop()

Credential endpoints: POST / (STS AssumeRoleWithWebIdentity, unsigned, checks
the token; AssumeRole, SigV4-signed for service sts), GET
/container/credentials (checks the Authorization header), IMDSv2 under
/latest/ (PUT api/token, then GET meta-data/iam/security-credentials/[role]).
Each hands out fresh temporary keys that the Route 53 API then accepts.

From the shell: route53.py --access-key-id ID --secret-access-key S --zone
example.test [--dns-server HOST[:PORT] --tsig NAME:B64[:ALG]]; it prints
"listening on http://127.0.0.1:PORT" and serves until killed. Control endpoints
(unsigned): GET /_stats, POST /_stats/reset, POST /_throttle {"count": N,
"code": "Throttling" | "PriorRequestNotComplete"}.
"""

import argparse
import calendar
import datetime
import itertools
import json
import secrets
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import botocore.auth
import botocore.awsrequest
import botocore.credentials

import bind

NS = "https://route53.amazonaws.com/doc/2013-04-01/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
MAX_SKEW = 5 * 60
PENDING_SECONDS = 1.0
AMZ_DATE = "%Y%m%dT%H%M%SZ"
ISO = "%Y-%m-%dT%H:%M:%SZ"


class ApiError(Exception):
    def __init__(self, status, code, message, sender=True):
        super().__init__(message)
        self.status, self.code, self.message, self.sender = status, code, message, sender


def _order_key(name):
    """Route 53's listing order: the labels reversed, with a trailing dot,
    compared as one string ("com.example.www."), so "web-1" sorts before
    "web" ('-' < '.')."""
    labels = name.rstrip(".").lower().split(".")
    return ".".join(reversed(labels)) + "."


def _fqdn(name):
    name = name.lower()
    return name if name.endswith(".") else name + "."


def _now_iso(offset=0):
    return (datetime.datetime.utcnow() + datetime.timedelta(seconds=offset)).strftime(ISO)


class Zone:
    def __init__(self, zone_id, name, private):
        self.id, self.name, self.private = zone_id, _fqdn(name), private
        # (name, type) -> {"ttl": int, "values": [str]}
        self.rrsets = {
            (self.name, "NS"): {"ttl": 172800, "values": ["ns-1.awsdns-00.com."]},
            (self.name, "SOA"): {"ttl": 900, "values": [
                "ns-1.awsdns-00.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"]},
        }


class FakeRoute53:
    def __init__(self, access_key_id, secret_access_key, zones, dns_server=None, tsig=None,
                 role_arn="arn:aws:iam::111122223333:role/acme-dns",
                 web_identity_token="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln",
                 container_token="pod-identity-token", imds_role="dnsacme-instance"):
        self.lock = threading.Lock()
        # access key id -> (secret, session token or None)
        self.keys = {access_key_id: (secret_access_key, None)}
        self.zones = []
        ids = itertools.count(1)
        for z in zones:
            self.zones.append(Zone("Z%013dPUB" % next(ids), z, False))
            self.zones.append(Zone("Z%013dPRV" % next(ids), z, True))
        self.primary = bind.Primary(dns_server, tsig) if dns_server else None
        self.role_arn, self.web_identity_token = role_arn, web_identity_token
        self.container_token, self.imds_role = container_token, imds_role
        self.imds_tokens = set()
        self.changes = {}  # id -> [submitted monotonic, polls]
        self.calls, self.throttled, self.throttle_left = {}, 0, 0
        self.throttle_code = "Throttling"
        self.external_id = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = None

    # -- control -------------------------------------------------------------

    @property
    def port(self):
        return self.server.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def throttle(self, count, code="Throttling"):
        """Refuse the next count API requests with code (HTTP 400):
        "Throttling" or "PriorRequestNotComplete", both retried by AWS SDKs."""
        with self.lock:
            self.throttle_left, self.throttle_code = count, code

    def minted_secrets(self):
        """Every temporary secret key and session token handed out so far."""
        with self.lock:
            return [v for secret, token in self.keys.values() if token
                    for v in (secret, token)]

    def stats(self):
        with self.lock:
            out = dict(self.calls)
            out["throttled"] = self.throttled
            return out

    def reset_stats(self):
        with self.lock:
            self.calls, self.throttled = {}, 0

    def zone(self, name, private=False):
        for z in self.zones:
            if z.name == _fqdn(name) and z.private == private:
                return z
        raise KeyError(name)

    def txt(self, zone, name, private=False):
        """The TXT values (unquoted) the fake holds at name."""
        with self.lock:
            rrset = self.zone(zone, private).rrsets.get((_fqdn(name), "TXT"))
            return sorted(v.strip('"') for v in rrset["values"]) if rrset else []

    def set_txt(self, zone, name, values, ttl=300):
        """Put (or with values=[] remove) a TXT set as another tool would."""
        with self.lock:
            z = self.zone(zone)
            key = (_fqdn(name), "TXT")
            quoted = ['"%s"' % v for v in values]
            if values:
                z.rrsets[key] = {"ttl": ttl, "values": quoted}
            else:
                z.rrsets.pop(key, None)
            self._bind_apply(z, [(key[0], ttl, quoted)])

    def challenge_names(self):
        with self.lock:
            return sorted(n for z in self.zones for (n, t) in z.rrsets
                          if t == "TXT" and n.startswith("_acme-challenge."))

    # -- BIND ----------------------------------------------------------------

    def _bind_apply(self, zone, sets):
        """Replace each TXT set [(name, ttl, quoted values)] on the primary,
        in one UPDATE. Private zones live only here."""
        if zone.private or self.primary is None:
            return
        msg = self.primary.update(zone.name)
        for fqdn, ttl, values in sets:
            msg.delete(fqdn, "TXT")
            for v in values:
                msg.add(fqdn, ttl, "TXT", v)
        rcode = self.primary.send(msg)
        if rcode is not None:
            raise ApiError(500, "InternalFailure", "BIND refused the update: %s" % rcode,
                           sender=False)

    # -- SigV4 -----------------------------------------------------------------

    def _verify(self, req, service, body):
        auth = req.headers.get("Authorization")
        if not auth:
            raise ApiError(403, "MissingAuthenticationToken",
                           "Missing Authentication Token")
        try:
            algorithm, rest = auth.split(" ", 1)
            fields = dict(p.strip().split("=", 1) for p in rest.split(","))
            akid, day, region, svc, term = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            signature = fields["Signature"]
        except (ValueError, KeyError):
            raise ApiError(400, "IncompleteSignature",
                           "Authorization header requires Credential, SignedHeaders and "
                           "Signature")
        if algorithm != "AWS4-HMAC-SHA256" or term != "aws4_request":
            raise ApiError(400, "IncompleteSignature", "Unsupported signature algorithm")
        with self.lock:
            key = self.keys.get(akid)
        if key is None:
            raise ApiError(403, "InvalidClientTokenId",
                           "The security token included in the request is invalid.")
        secret, token = key
        amz_date = req.headers.get("X-Amz-Date", "")
        try:
            when = calendar.timegm(time.strptime(amz_date, AMZ_DATE))
        except ValueError:
            raise ApiError(400, "IncompleteSignature", "X-Amz-Date is missing or malformed")
        skew = abs(time.time() - when)
        if skew > MAX_SKEW:
            raise ApiError(403, "RequestExpired",
                           "Signature expired: %s is now earlier or later than the allowed "
                           "%d minutes" % (amz_date, MAX_SKEW // 60))
        if token is not None:
            sent = req.headers.get("X-Amz-Security-Token")
            if sent != token or "x-amz-security-token" not in signed:
                raise ApiError(403, "InvalidClientTokenId",
                               "The security token included in the request is invalid.")
        for needed in ("host", "x-amz-date"):
            if needed not in signed:
                raise ApiError(403, "SignatureDoesNotMatch",
                               "%s must be a signed header" % needed)
        if day != amz_date[:8] or svc != service:
            raise ApiError(403, "SignatureDoesNotMatch",
                           "Credential should be scoped to a valid region and service "
                           "%s, not '%s'" % (service, svc))
        headers = {h: req.headers.get(h, "") for h in signed}
        url = "http://%s%s" % (req.headers.get("Host", ""), req.path)
        request = botocore.awsrequest.AWSRequest(method=req.command, url=url,
                                                 headers=headers, data=body)
        request.context["timestamp"] = amz_date
        signer = botocore.auth.SigV4Auth(
            botocore.credentials.Credentials(akid, secret, token), service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if not secrets.compare_digest(expected, signature):
            raise ApiError(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the "
                           "signature you provided. Check your AWS Secret Access Key and "
                           "signing method. Consult the service documentation for details.")
        return akid

    def _mint(self):
        akid = "ASIA" + secrets.token_hex(8).upper()
        secret = secrets.token_urlsafe(30)
        token = "FwoGZXIvYXdzE" + secrets.token_urlsafe(60)
        with self.lock:
            self.keys[akid] = (secret, token)
        return akid, secret, token, _now_iso(3600)

    # -- Route 53 operations ---------------------------------------------------

    def _find_zone(self, zone_id):
        for z in self.zones:
            if z.id == zone_id:
                return z
        raise ApiError(404, "NoSuchHostedZone", "No hosted zone found with ID: %s" % zone_id)

    def list_zones(self, q):
        start = _order_key(q.get("dnsname", "")) if q.get("dnsname") else ""
        start_id = q.get("hostedzoneid")
        maxitems = min(int(q.get("maxitems", "100")), 100)
        ordered = sorted(self.zones, key=lambda z: (_order_key(z.name), z.id))
        picked = [z for z in ordered if (_order_key(z.name), z.id) >=
                  (start, start_id or "")]
        page, more = picked[:maxitems], picked[maxitems:]
        out = ["<ListHostedZonesByNameResponse xmlns=\"%s\"><HostedZones>" % NS]
        for z in page:
            out.append("<HostedZone><Id>/hostedzone/%s</Id><Name>%s</Name>"
                       "<CallerReference>fake-%s</CallerReference><Config>"
                       "<PrivateZone>%s</PrivateZone></Config><ResourceRecordSetCount>%d"
                       "</ResourceRecordSetCount></HostedZone>"
                       % (z.id, z.name, z.id, "true" if z.private else "false",
                          len(z.rrsets)))
        out.append("</HostedZones>")
        if q.get("dnsname"):
            out.append("<DNSName>%s</DNSName>" % escape(q["dnsname"]))
        out.append("<IsTruncated>%s</IsTruncated>" % ("true" if more else "false"))
        if more:
            out.append("<NextDNSName>%s</NextDNSName><NextHostedZoneId>%s</NextHostedZoneId>"
                       % (more[0].name, more[0].id))
        out.append("<MaxItems>%d</MaxItems></ListHostedZonesByNameResponse>" % maxitems)
        return "".join(out)

    def list_rrsets(self, zone, q):
        maxitems = min(int(q.get("maxitems", "300")), 300)
        start = (_order_key(q.get("name", zone.name)), q.get("type", ""))
        ordered = sorted(zone.rrsets.items(), key=lambda kv: (_order_key(kv[0][0]), kv[0][1]))
        picked = [(k, v) for k, v in ordered if (_order_key(k[0]), k[1]) >= start]
        page, more = picked[:maxitems], picked[maxitems:]
        out = ["<ListResourceRecordSetsResponse xmlns=\"%s\"><ResourceRecordSets>" % NS]
        for (name, rtype), rrset in page:
            out.append("<ResourceRecordSet><Name>%s</Name><Type>%s</Type><TTL>%d</TTL>"
                       "<ResourceRecords>" % (escape(name), rtype, rrset["ttl"]))
            out.extend("<ResourceRecord><Value>%s</Value></ResourceRecord>" % escape(v)
                       for v in rrset["values"])
            out.append("</ResourceRecords></ResourceRecordSet>")
        out.append("</ResourceRecordSets><IsTruncated>%s</IsTruncated>"
                   % ("true" if more else "false"))
        if more:
            out.append("<NextRecordName>%s</NextRecordName><NextRecordType>%s"
                       "</NextRecordType>" % (escape(more[0][0][0]), more[0][0][1]))
        out.append("<MaxItems>%d</MaxItems></ListResourceRecordSetsResponse>" % maxitems)
        return "".join(out)

    def change(self, zone, body):
        try:
            root = ET.fromstring(body)
        except ET.ParseError as e:
            raise ApiError(400, "InvalidInput", "Could not parse the request body: %s" % e)
        if root.tag != "{%s}ChangeResourceRecordSetsRequest" % NS:
            raise ApiError(400, "InvalidInput", "Unexpected root element %s" % root.tag)
        n = "{%s}" % NS
        changes = root.findall("%sChangeBatch/%sChanges/%sChange" % (n, n, n))
        if not changes:
            raise ApiError(400, "InvalidInput", "ChangeBatch has no Changes")
        work, errors, seen = dict(zone.rrsets), [], {}
        touched = {}
        for c in changes:
            action = c.findtext(n + "Action")
            rrs = c.find(n + "ResourceRecordSet")
            name = _fqdn(rrs.findtext(n + "Name") or "")
            rtype = rrs.findtext(n + "Type")
            ttl = int(rrs.findtext(n + "TTL") or "-1")
            values = [v.text or "" for v in rrs.findall(
                "%sResourceRecords/%sResourceRecord/%sValue" % (n, n, n))]
            key = (name, rtype)
            label = "[name='%s', type='%s']" % (name, rtype)
            if action not in ("CREATE", "DELETE", "UPSERT"):
                raise ApiError(400, "InvalidInput", "Invalid Action %s" % action)
            if name != zone.name and not name.endswith("." + zone.name):
                errors.append("RRSet with DNS name %s is not permitted in zone %s"
                              % (name, zone.name))
                continue
            # A set may be deleted and created again in one batch (an update
            # that fails if the set changed since it was read); nothing else
            # may name it twice.
            previous = seen.get(key)
            if previous is not None and (previous, action) != ("DELETE", "CREATE"):
                errors.append("Duplicate Resource Record: %s" % label)
                continue
            seen[key] = action
            if rtype == "TXT" and any(not (v.startswith('"') and v.endswith('"')
                                           and len(v) >= 2) for v in values):
                # Syntax problems come in AWS's InvalidChangeBatch document.
                raise ApiError(400, "InvalidChangeBatch", [
                    "Invalid Resource Record: FATAL problem: InvalidCharacterString (Value "
                    "should be enclosed in quotation marks) encountered with '%s'"
                    % values[0]])
            if ttl < 0 or not values:
                errors.append("Invalid request: %s needs a TTL and ResourceRecords" % label)
                continue
            current = work.get(key)
            if action == "CREATE" and current is not None:
                errors.append("Tried to create resource record set %s but it already exists"
                              % label)
            elif action == "DELETE" and current is None:
                errors.append("Tried to delete resource record set %s but it was not found"
                              % label)
            elif action == "DELETE" and (current["ttl"] != ttl or
                                         sorted(current["values"]) != sorted(values)):
                errors.append("Tried to delete resource record set %s but the values "
                              "provided do not match the current values" % label)
            elif action == "DELETE":
                del work[key]
                touched[key] = (name, ttl, [])
            else:
                work[key] = {"ttl": ttl, "values": values}
                touched[key] = (name, ttl, values)
        if errors:
            # Conflicts come as an ordinary ErrorResponse, messages in brackets.
            raise ApiError(400, "InvalidChangeBatch", "[%s]" % ", ".join(errors))
        txt = [v for k, v in touched.items() if k[1] == "TXT"]
        self._bind_apply(zone, txt)
        zone.rrsets = work
        change_id = "C" + secrets.token_hex(10).upper()
        self.changes[change_id] = [time.monotonic(), 0]
        comment = root.findtext("%sChangeBatch/%sComment" % (n, n))
        return self._change_info("ChangeResourceRecordSetsResponse", change_id, "PENDING",
                                 comment)

    def _change_info(self, root, change_id, status, comment=None):
        return ("<%s xmlns=\"%s\"><ChangeInfo><Id>/change/%s</Id><Status>%s</Status>"
                "<SubmittedAt>%s</SubmittedAt>%s</ChangeInfo></%s>"
                % (root, NS, change_id, status, _now_iso(),
                   "<Comment>%s</Comment>" % escape(comment) if comment else "", root))

    def get_change(self, change_id):
        entry = self.changes.get(change_id)
        if entry is None:
            raise ApiError(404, "NoSuchChange", "Could not find resource with ID: %s"
                           % change_id)
        entry[1] += 1
        insync = entry[1] > 1 and time.monotonic() - entry[0] >= PENDING_SECONDS
        return self._change_info("GetChangeResponse", change_id,
                                 "INSYNC" if insync else "PENDING")

    def route53(self, req, path, query, body):
        self._verify(req, "route53", body)
        parts = path.split("/")[2:]  # after /2013-04-01/
        with self.lock:
            if req.command == "GET" and parts == ["hostedzonesbyname"]:
                return "ListHostedZonesByName", self.list_zones(query)
            if len(parts) >= 3 and parts[0] == "hostedzone" and parts[2] == "rrset":
                zone = self._find_zone(parts[1])
                if req.command == "GET" and len(parts) == 3:
                    return "ListResourceRecordSets", self.list_rrsets(zone, query)
                if req.command == "POST" and parts[3:] in ([], [""]):
                    return "ChangeResourceRecordSets", self.change(zone, body)
            if req.command == "GET" and len(parts) == 2 and parts[0] == "change":
                return "GetChange", self.get_change(parts[1])
        raise ApiError(404, "UnknownOperation", "No such operation %s %s"
                       % (req.command, path))

    # -- credentials endpoints -------------------------------------------------

    def sts(self, req, body):
        form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
        action = form.get("Action")
        if action == "AssumeRoleWithWebIdentity":
            if form.get("WebIdentityToken") != self.web_identity_token:
                raise ApiError(400, "InvalidIdentityToken", "Token is not valid")
        elif action == "AssumeRole":
            self._verify(req, "sts", body)
            if self.external_id is not None and form.get("ExternalId") != self.external_id:
                raise ApiError(403, "AccessDenied", "Not authorized to perform "
                               "sts:AssumeRole")
        else:
            raise ApiError(400, "InvalidAction", "Could not find operation %s" % action)
        if form.get("RoleArn") != self.role_arn:
            raise ApiError(403, "AccessDenied", "Not authorized to perform sts:%s" % action)
        akid, secret, token, expiration = self._mint()
        return action, ("<{0}Response xmlns=\"{1}\"><{0}Result><Credentials>"
                        "<AccessKeyId>{2}</AccessKeyId><SecretAccessKey>{3}</SecretAccessKey>"
                        "<SessionToken>{4}</SessionToken><Expiration>{5}</Expiration>"
                        "</Credentials></{0}Result><ResponseMetadata><RequestId>{6}"
                        "</RequestId></ResponseMetadata></{0}Response>"
                        .format(action, STS_NS, akid, escape(secret), escape(token),
                                expiration, secrets.token_hex(8)))

    def _json_credentials(self, extra=None):
        akid, secret, token, expiration = self._mint()
        doc = {"AccessKeyId": akid, "SecretAccessKey": secret, "Token": token,
               "Expiration": expiration}
        doc.update(extra or {})
        return json.dumps(doc)

    def container(self, req):
        if req.headers.get("Authorization") != self.container_token:
            raise ApiError(401, "Unauthorized", "bad authorization token")
        return "ContainerCredentials", self._json_credentials({"AccountId": "111122223333"})

    def imds(self, req, path):
        if req.command == "PUT" and path == "/latest/api/token":
            if not req.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                raise ApiError(400, "BadRequest", "missing TTL header")
            token = secrets.token_urlsafe(24)
            with self.lock:
                self.imds_tokens.add(token)
            return "IMDSToken", token
        with self.lock:
            ok = req.headers.get("X-aws-ec2-metadata-token") in self.imds_tokens
        if not ok:
            raise ApiError(401, "Unauthorized", "IMDSv2 token required")
        base = "/latest/meta-data/iam/security-credentials/"
        if path == base:
            return "IMDSRole", self.imds_role
        if path == base + self.imds_role:
            return "IMDSCredentials", self._json_credentials(
                {"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": _now_iso()})
        raise ApiError(404, "NotFound", "no such metadata")

    # -- HTTP ------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body, ctype="text/xml"):
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", self.request_id)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, e):
                if isinstance(e.message, list):
                    body = ("<InvalidChangeBatch xmlns=\"%s\"><Messages>%s</Messages>"
                            "<RequestId>%s</RequestId></InvalidChangeBatch>"
                            % (NS, "".join("<Message>%s</Message>" % escape(m)
                                           for m in e.message), self.request_id))
                else:
                    body = ("<ErrorResponse xmlns=\"%s\"><Error><Type>%s</Type><Code>%s"
                            "</Code><Message>%s</Message></Error><RequestId>%s</RequestId>"
                            "</ErrorResponse>" % (NS, "Sender" if e.sender else "Receiver",
                                                  e.code, escape(e.message),
                                                  self.request_id))
                self._send(e.status, body)

            def _count(self, op):
                with fake.lock:
                    fake.calls[op] = fake.calls.get(op, 0) + 1

            def _dispatch(self):
                self.request_id = "%s-%s" % (secrets.token_hex(4), secrets.token_hex(6))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urllib.parse.urlsplit(self.path)
                path = parsed.path
                query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
                if path.startswith("/_"):
                    return self._control(path, body)
                try:
                    if path.startswith("/2013-04-01/"):
                        with fake.lock:
                            throttle = fake.throttle_code if fake.throttle_left else None
                            if throttle:
                                fake.throttle_left -= 1
                                fake.throttled += 1
                        if throttle == "Throttling":
                            raise ApiError(400, throttle, "Rate exceeded")
                        if throttle:
                            raise ApiError(400, throttle, "The request was rejected because "
                                           "Route 53 was still processing a prior request.")
                        op, out = fake.route53(self, path, query, body)
                    elif path == "/" and self.command == "POST":
                        op, out = fake.sts(self, body)
                    elif path == "/container/credentials" and self.command == "GET":
                        op, out = fake.container(self)
                        self._count(op)
                        return self._send(200, out, "application/json")
                    elif path.startswith("/latest/"):
                        op, out = fake.imds(self, path)
                        self._count(op)
                        ctype = "application/json" if out.startswith("{") else "text/plain"
                        return self._send(200, out, ctype)
                    else:
                        raise ApiError(404, "NotFound", "no such path %s" % path)
                except ApiError as e:
                    self._count("error:" + e.code)
                    return self._error(e)
                self._count(op)
                self._send(200, out)

            def _control(self, path, body):
                if path == "/_stats" and self.command == "GET":
                    return self._send(200, json.dumps(fake.stats()), "application/json")
                if path == "/_stats/reset" and self.command == "POST":
                    fake.reset_stats()
                    return self._send(200, "{}", "application/json")
                if path == "/_throttle" and self.command == "POST":
                    control = json.loads(body or b"{}")
                    fake.throttle(int(control.get("count", 1)),
                                  control.get("code", "Throttling"))
                    return self._send(200, "{}", "application/json")
                return self._send(404, "{}", "application/json")

            do_GET = do_POST = do_PUT = _dispatch

        return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--access-key-id", required=True)
    ap.add_argument("--secret-access-key", required=True)
    ap.add_argument("--zone", action="append", required=True)
    ap.add_argument("--dns-server", help="BIND primary, HOST[:PORT]")
    ap.add_argument("--tsig", help="NAME:BASE64SECRET[:ALGORITHM] for the primary")
    args = ap.parse_args()
    tsig = bind.parse_tsig(args.tsig) if args.tsig else None
    fake = FakeRoute53(args.access_key_id, args.secret_access_key, args.zone,
                       dns_server=args.dns_server, tsig=tsig)
    print("listening on %s" % fake.url, flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
