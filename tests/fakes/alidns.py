#!/usr/bin/python3
"""A fake Alibaba Cloud DNS OpenAPI (alidns 2015-01-09) plus STS AssumeRoleWithOIDC.

It checks every request the way the cloud does (RPC signature V1, HMAC-SHA1, or
V3, ACS3-HMAC-SHA256: SignatureDoesNotMatch with the server's string to sign,
InvalidTimeStamp.Expired beyond 15 minutes, SignatureNonceUsed,
InvalidAccessKeyId.NotFound, InvalidSecurityToken.*), answers with the real
JSON shapes, and applies record
changes to a real BIND primary with TSIG-signed dynamic updates, so Pebble
validates what the plugin published.

In a test (Debian's /usr/bin/python3, python3-dnspython):

    fake = FakeAliDNS("LTAIkeyid", "secret", ["example.test"],
                      dns_server="127.53.1.1", tsig=("acme-update", b64, "hmac-sha256"))
    fake.start()            # fake.url is http://127.0.0.1:PORT/
    fake.fail_next("Throttling.User", count=2, action="AddDomainRecord")
    fake.stats()            # {"AddDomainRecord": 3, ...}
    fake.stop()

From the shell: alidns.py --access-key-id ID --access-key-secret S --domain example.test
--dns-server 127.53.1.1 --tsig acme-update:BASE64 [--port N]; it prints
"listening on http://127.0.0.1:PORT/" and serves until killed. Control endpoints
(no signature): GET /_stats, POST /_stats/reset, GET /_records, POST /_fail with
{"code": "Throttling.User", "count": 2, "status": 400, "action": "AddDomainRecord"}.
"""

import argparse
import base64
import calendar
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dns.name

import bind

API_VERSION = "2015-01-09"
STS_VERSION = "2015-04-01"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# The cloud refuses timestamps further than this from its clock.
MAX_SKEW = 15 * 60
# Record IDs beyond 2**53, as the real ones: a client must keep them as strings.
FIRST_RECORD_ID = 2 ** 53 + 1
DNS_SERVERS = ["dns1.hichina.com", "dns2.hichina.com"]


def percent_encode(text):
    """RFC 3986 unreserved characters stay, everything else is %XX (upper case)."""
    return urllib.parse.quote(text, safe="-_.~")


def string_to_sign(method, params):
    canonical = "&".join("%s=%s" % (percent_encode(k), percent_encode(v))
                         for k, v in sorted(params.items()))
    return "%s&%s&%s" % (method, percent_encode("/"), percent_encode(canonical))


def sign(secret, text):
    mac = hmac.new((secret + "&").encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def v3_string_to_sign(method, query, headers, signed_names, payload_hash):
    """V3: query {name: value}, headers {lower-case name: value}."""
    canonical_query = "&".join("%s=%s" % (percent_encode(k), percent_encode(v))
                               for k, v in sorted(query.items()))
    lines = "".join("%s:%s\n" % (n, headers.get(n, "").strip()) for n in signed_names)
    request = "\n".join([method, "/", canonical_query, lines, ";".join(signed_names),
                         payload_hash])
    return "ACS3-HMAC-SHA256\n" + hashlib.sha256(request.encode()).hexdigest()


def v3_sign(secret, text):
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _page(params, default_size, max_size):
    try:
        number = int(params.get("PageNumber", "1"))
        size = int(params.get("PageSize", str(default_size)))
    except ValueError:
        raise ApiError(400, "InvalidParameter", "The specified parameter is not valid.")
    if number < 1 or size < 1 or size > max_size:
        raise ApiError(400, "InvalidPageSize" if size > max_size else "InvalidParameter",
                       "The specified PageSize or PageNumber is not valid.")
    return number, size


class FakeAliDNS:
    """The fake service. domains: zone names of the account (also BIND zones).
    tsig: (key name, base64 secret, algorithm) for the BIND primary.
    sts_credentials: (key id, secret, token) already issued by STS.
    oidc: {"role_arn", "provider_arn", "token_file"} that AssumeRoleWithOIDC accepts.
    min_ttl: the edition's minimum TTL (600 on the free edition).
    latency: seconds each API answer takes, as the real service's round trip."""

    def __init__(self, access_key_id, access_key_secret, domains, dns_server=None,
                 tsig=None, sts_credentials=None, oidc=None, min_ttl=600, latency=0.0,
                 port=0):
        self.keys = {access_key_id: {"secret": access_key_secret, "token": None,
                                     "expires": None}}
        if sts_credentials:
            key_id, secret, token = sts_credentials
            self.keys[key_id] = {"secret": secret, "token": token,
                                 "expires": time.time() + 3600}
        self.domains = [d.lower().rstrip(".") for d in domains]
        self.primary = bind.Primary(dns_server, tsig) if dns_server else None
        self.oidc = oidc
        self.min_ttl = min_ttl
        self.latency = latency
        self.records = {}  # RecordId -> record dict
        self._ids = itertools.count(FIRST_RECORD_ID)
        self._nonces = set()
        self._failures = []
        self._calls = {}
        self._key_use = {}
        self._v3_calls = 0
        self._minted = []  # key ids, secrets and tokens AssumeRoleWithOIDC handed out
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._thread = None

    # -- control ---------------------------------------------------------

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.port

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, code, count=1, status=400, action=None, message=None):
        """Answer the next count requests (of action, or any) with this error,
        after their signature was checked."""
        with self._lock:
            self._failures.append({"code": code, "count": count, "status": status,
                                   "action": action,
                                   "message": message or "Injected by the test: " + code})

    def stats(self):
        """{action: calls} since the last reset, failed calls included."""
        with self._lock:
            return dict(self._calls)

    def key_use(self):
        """{AccessKeyId: calls} of the signed calls since the last reset."""
        with self._lock:
            return dict(self._key_use)

    def v3_calls(self):
        """How many calls since the last reset were signed with V3."""
        with self._lock:
            return self._v3_calls

    def minted_secrets(self):
        """Every STS key id, secret and token AssumeRoleWithOIDC handed out,
        for checking that logs do not show them."""
        with self._lock:
            return list(self._minted)

    def reset_stats(self):
        with self._lock:
            self._calls.clear()
            self._key_use.clear()
            self._v3_calls = 0

    def list_records(self):
        with self._lock:
            return sorted(self.records.values(), key=lambda r: r["RecordId"])

    def add_record(self, zone, rr, value, ttl=600):
        """Create a TXT record as another client would (no signature)."""
        with self._lock:
            return self._add(zone, rr, "TXT", value, ttl)["RecordId"]

    def delete_record(self, record_id):
        with self._lock:
            self._delete(record_id)

    # -- BIND ------------------------------------------------------------

    def _bind_update(self, zone, rr, ttl, value, delete):
        if self.primary is None:
            return
        msg = self.primary.update(zone)
        name = dns.name.from_text(zone if rr == "@" else rr + "." + zone)
        text = '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
        if delete:
            msg.delete(name, "TXT", text)
        else:
            msg.add(name, ttl, "TXT", text)
        rcode = self.primary.send(msg)
        if rcode is not None:
            raise ApiError(500, "InternalError", "The request processing has failed due to "
                           "some unknown error (DNS UPDATE %s)." % rcode)

    # -- records ---------------------------------------------------------

    def _zone(self, name):
        name = name.lower().rstrip(".")
        for zone in sorted(self.domains, key=len, reverse=True):
            if name == zone or name.endswith("." + zone):
                return zone
        return None

    def _own_domain(self, params):
        zone = params.get("DomainName", "").lower().rstrip(".")
        if zone not in self.domains:
            raise ApiError(400, "IncorrectDomainUser", "The domain name belongs to other users.")
        return zone

    def _add(self, zone, rr, rtype, value, ttl):
        for rec in self.records.values():
            if (rec["DomainName"], rec["RR"].lower(), rec["Type"], rec["Value"]) == \
                    (zone, rr.lower(), rtype, value):
                raise ApiError(400, "DomainRecordDuplicate", "The DNS record already exists.")
        self._bind_update(zone, rr, ttl, value, delete=False)
        rec = {"RecordId": str(next(self._ids)), "DomainName": zone, "RR": rr, "Type": rtype,
               "Value": value, "TTL": ttl, "Line": "default", "Status": "ENABLE",
               "Locked": False, "Weight": 1}
        self.records[rec["RecordId"]] = rec
        return rec

    def _delete(self, record_id):
        rec = self.records.get(record_id)
        if rec is None:
            raise ApiError(400, "DomainRecordNotBelongToUser",
                           "The DNS record does not belong to you.")
        self._bind_update(rec["DomainName"], rec["RR"], rec["TTL"], rec["Value"], delete=True)
        del self.records[record_id]

    @staticmethod
    def _listing(records, params, default_size, max_size):
        number, size = _page(params, default_size, max_size)
        records = sorted(records, key=lambda r: int(r["RecordId"]))
        page = records[(number - 1) * size:number * size]
        return {"TotalCount": len(records), "PageNumber": number, "PageSize": size,
                "DomainRecords": {"Record": [dict(r) for r in page]}}

    # -- actions ---------------------------------------------------------

    def _describe_domains(self, params):
        number, size = _page(params, 20, 100)
        keyword = params.get("KeyWord", "").lower()
        exact = params.get("SearchMode", "LIKE").upper() == "EXACT"
        found = [d for d in self.domains
                 if not keyword or (d == keyword if exact else keyword in d)]
        page = found[(number - 1) * size:number * size]
        return {"TotalCount": len(found), "PageNumber": number, "PageSize": size,
                "Domains": {"Domain": [{
                    "DomainId": str(uuid.uuid5(uuid.NAMESPACE_DNS, d)), "DomainName": d,
                    "PunyCode": d, "AliDomain": False, "RecordCount": sum(
                        1 for r in self.records.values() if r["DomainName"] == d),
                    "VersionCode": "mianfei", "VersionName": "Alibaba Cloud DNS",
                    "DnsServers": {"DnsServer": DNS_SERVERS}, "InstanceId": ""}
                    for d in page]}}

    def _describe_sub_domain_records(self, params):
        sub = params.get("SubDomain", "").lower().rstrip(".")
        if not sub:
            raise ApiError(400, "MissingSubDomain", "SubDomain is mandatory for this action.")
        zone = self._own_domain(params) if "DomainName" in params else self._zone(sub)
        if zone is None or not (sub == zone or sub.endswith("." + zone)):
            raise ApiError(400, "InvalidDomainName.NoExist",
                           "The specified domain name does not exist.")
        rr = "@" if sub == zone else sub[:-len(zone) - 1]
        rtype = params.get("Type")
        found = [r for r in self.records.values() if r["DomainName"] == zone and
                 r["RR"].lower() == rr and (not rtype or r["Type"] == rtype)]
        return self._listing(found, params, 20, 100)

    def _describe_domain_records(self, params):
        zone = self._own_domain(params)
        rr_kw = params.get("RRKeyWord", "").lower()
        type_kw = params.get("TypeKeyWord", "").upper()
        value_kw = params.get("ValueKeyWord", "").lower()
        found = [r for r in self.records.values() if r["DomainName"] == zone and
                 rr_kw in r["RR"].lower() and (not type_kw or r["Type"] == type_kw) and
                 value_kw in r["Value"].lower()]
        return self._listing(found, params, 20, 500)

    def _add_domain_record(self, params):
        zone = self._own_domain(params)
        for name in ("RR", "Type", "Value"):
            if not params.get(name):
                raise ApiError(400, "Missing" + name, name + " is mandatory for this action.")
        if params["Type"] != "TXT":
            raise ApiError(400, "InvalidType", "The fake serves TXT records only.")
        try:
            ttl = int(params.get("TTL", "600"))
        except ValueError:
            raise ApiError(400, "InvalidTTL", "The specified TTL is invalid.")
        if ttl < self.min_ttl or ttl > 86400:
            raise ApiError(400, "QuotaExceeded.TTL", "The specified TTL is invalid: the "
                           "minimum TTL of this edition is %d." % self.min_ttl)
        rec = self._add(zone, params["RR"], params["Type"], params["Value"], ttl)
        return {"RecordId": rec["RecordId"]}

    def _delete_domain_record(self, params):
        self._delete(params.get("RecordId", ""))
        return {"RecordId": params.get("RecordId", "")}

    def _get_main_domain_name(self, params):
        labels = params.get("InputString", "").lower().rstrip(".").split(".")
        if len(labels) < 2:
            raise ApiError(400, "InvalidDomainName.Format", "The domain name is invalid.")
        return {"DomainName": ".".join(labels[-2:]), "RR": ".".join(labels[:-2]) or "@",
                "DomainLevel": len(labels) - 1}

    ACTIONS = {
        "DescribeDomains": _describe_domains,
        "DescribeSubDomainRecords": _describe_sub_domain_records,
        "DescribeDomainRecords": _describe_domain_records,
        "AddDomainRecord": _add_domain_record,
        "DeleteDomainRecord": _delete_domain_record,
        "GetMainDomainName": _get_main_domain_name,
    }

    # -- authentication --------------------------------------------------

    def _check_timestamp(self, text):
        try:
            t = calendar.timegm(time.strptime(text, TIMESTAMP_FORMAT))
        except (TypeError, ValueError):
            raise ApiError(400, "InvalidTimeStamp.Format",
                           "Specified time stamp or date value is not well formatted.")
        if abs(time.time() - t) > MAX_SKEW:
            raise ApiError(400, "InvalidTimeStamp.Expired",
                           "Specified time stamp or date value is expired.")

    def _check_key(self, key_id, token, nonce):
        """The checks after the signature: nonce, then the STS token."""
        key = self.keys[key_id]
        if nonce in self._nonces:
            raise ApiError(400, "SignatureNonceUsed",
                           "Specified signature nonce was used already.")
        self._nonces.add(nonce)
        if key["token"] is None and token:
            raise ApiError(400, "InvalidSecurityToken.MismatchWithAccessKey",
                           "Specified SecurityToken mismatch with the AccessKey.")
        if key["token"] is not None:
            if not token:
                raise ApiError(400, "InvalidSecurityToken.Malformed",
                               "Specified SecurityToken is malformed.")
            if token != key["token"]:
                raise ApiError(400, "InvalidSecurityToken.MismatchWithAccessKey",
                               "Specified SecurityToken mismatch with the AccessKey.")
            if time.time() > key["expires"]:
                raise ApiError(400, "InvalidSecurityToken.Expired",
                               "Specified SecurityToken is expired.")
        self._key_use[key_id] = self._key_use.get(key_id, 0) + 1

    def _authenticate_v3(self, method, params, headers, body):
        """V3: returns the parameters with Action and Version from the headers."""
        fields = dict(part.split("=", 1) for part in
                      headers["authorization"][len("ACS3-HMAC-SHA256 "):].split(",")
                      if "=" in part)
        names = fields.get("SignedHeaders", "").split(";")
        for name in ("host", "x-acs-action", "x-acs-version", "x-acs-date",
                     "x-acs-signature-nonce", "x-acs-content-sha256"):
            if name not in names or not headers.get(name):
                raise ApiError(400, "IncompleteSignature", "The request signature does not "
                               "conform to Aliyun standards: %s is not signed." % name)
        if headers["x-acs-content-sha256"] != hashlib.sha256(body.encode()).hexdigest():
            raise ApiError(400, "IncompleteSignature",
                           "x-acs-content-sha256 is not the hash of the body.")
        key_id = fields.get("Credential", "")
        if key_id not in self.keys:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        self._check_timestamp(headers["x-acs-date"])
        text = v3_string_to_sign(method, params, headers, names, headers["x-acs-content-sha256"])
        if not hmac.compare_digest(v3_sign(self.keys[key_id]["secret"], text),
                                   fields.get("Signature", "")):
            raise ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched "
                           "with our calculation. server string to sign is:" + text)
        self._check_key(key_id, headers.get("x-acs-security-token"),
                        headers["x-acs-signature-nonce"])
        self._v3_calls += 1
        return dict(params, Action=headers["x-acs-action"], Version=headers["x-acs-version"])

    def _authenticate(self, method, params):
        for name in ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
                     "SignatureNonce", "Timestamp", "Version"):
            if not params.get(name):
                raise ApiError(400, "MissingParameter", "The input parameter \"%s\" that is "
                               "mandatory for processing this request is not supplied." % name)
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            raise ApiError(400, "InvalidParameter.SignatureMethod",
                           "The fake verifies HMAC-SHA1 / 1.0 signatures only.")
        if params["Version"] != API_VERSION:
            raise ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        key = self.keys.get(params["AccessKeyId"])
        if key is None:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        self._check_timestamp(params["Timestamp"])
        signed = dict(params)
        signature = signed.pop("Signature")
        text = string_to_sign(method, signed)
        if not hmac.compare_digest(sign(key["secret"], text), signature):
            raise ApiError(400, "SignatureDoesNotMatch", "Specified signature is not matched "
                           "with our calculation. server string to sign is:" + text)
        self._check_key(params["AccessKeyId"], params.get("SecurityToken"),
                        params["SignatureNonce"])
        return params

    def _assume_role_with_oidc(self, params):
        """STS, anonymous: trade the OIDC token for temporary credentials."""
        if self.oidc is None:
            raise ApiError(404, "InvalidAction.NotFound", "The fake has no OIDC provider.")
        if params.get("RoleArn") != self.oidc["role_arn"]:
            raise ApiError(404, "EntityNotExist.Role", "The specified Role not exists.")
        if params.get("OIDCProviderArn") != self.oidc["provider_arn"]:
            raise ApiError(404, "EntityNotExist.OIDCProvider",
                           "The specified OIDC provider not exists.")
        with open(self.oidc["token_file"]) as f:
            expected = f.read().strip()
        if params.get("OIDCToken") != expected:
            raise ApiError(400, "AuthenticationFail.OIDCToken.Invalid",
                           "The OIDC token is invalid.")
        self._check_timestamp(params.get("Timestamp"))
        duration = int(params.get("DurationSeconds", "3600"))
        if duration < 900:
            raise ApiError(400, "InvalidParameter.DurationSeconds",
                           "The DurationSeconds is out of range.")
        key_id = "STS." + secrets.token_urlsafe(18)
        cred = {"secret": secrets.token_urlsafe(30), "token": "CAIS" + secrets.token_urlsafe(90),
                "expires": time.time() + duration}
        self.keys[key_id] = cred
        self._minted += [key_id, cred["secret"], cred["token"]]
        session = params.get("RoleSessionName", "")
        return {"Credentials": {
                    "AccessKeyId": key_id, "AccessKeySecret": cred["secret"],
                    "SecurityToken": cred["token"],
                    "Expiration": time.strftime(TIMESTAMP_FORMAT, time.gmtime(cred["expires"]))},
                "AssumedRoleUser": {"Arn": self.oidc["role_arn"] + "/" + session,
                                    "AssumedRoleId": "3" + secrets.token_hex(8) + ":" + session},
                "OIDCTokenInfo": {"Issuer": "https://oidc-ack.example",
                                  "ClientIds": "sts.aliyuncs.com"}}

    def handle(self, method, params, headers=None, body=""):
        """One API request: (HTTP status, JSON body). headers: lower-case names."""
        request_id = str(uuid.uuid4()).upper()
        headers = headers or {}
        v3 = headers.get("authorization", "").startswith("ACS3-HMAC-SHA256 ")
        action = headers.get("x-acs-action", "") if v3 else params.get("Action", "")
        time.sleep(self.latency)
        with self._lock:
            self._calls[action] = self._calls.get(action, 0) + 1
            try:
                if action == "AssumeRoleWithOIDC" and params.get("Version") == STS_VERSION:
                    answer = self._assume_role_with_oidc(params)
                else:
                    params = (self._authenticate_v3(method, params, headers, body) if v3
                              else self._authenticate(method, params))
                    handler = self.ACTIONS.get(action)
                    if handler is None or params.get("Version") != API_VERSION:
                        raise ApiError(404, "InvalidAction.NotFound",
                                       "Specified api is not found, please check your url "
                                       "and method.")
                    self._inject_failure(action)
                    answer = handler(self, params)
            except ApiError as e:
                return e.status, {"RequestId": request_id, "HostId": "alidns.aliyuncs.com",
                                  "Code": e.code, "Message": e.message,
                                  "Recommend": "https://api.aliyun.com/troubleshoot?q=%s"
                                               "&product=Alidns" % e.code}
        answer["RequestId"] = request_id
        return 200, answer

    def _inject_failure(self, action):
        for f in self._failures:
            if f["count"] > 0 and f["action"] in (None, action):
                f["count"] -= 1
                raise ApiError(f["status"], f["code"], f["message"])

    # -- HTTP --------------------------------------------------------------

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass  # the query holds key ids and tokens

            def _reply(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _params(self, body):
                query = urllib.parse.urlsplit(self.path).query
                pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
                if not self.headers.get("Authorization"):  # a V3 body is hashed, not parsed
                    pairs += urllib.parse.parse_qsl(body, keep_blank_values=True)
                return dict(pairs)

            def _api(self, method, body):
                headers = {k.lower(): v for k, v in self.headers.items()}
                self._reply(*fake.handle(method, self._params(body), headers, body))

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length).decode() if length else ""

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                if path == "/_stats":
                    return self._reply(200, {"calls": fake.stats(), "keys": fake.key_use(),
                                             "v3": fake.v3_calls()})
                if path == "/_records":
                    return self._reply(200, fake.list_records())
                if path != "/":
                    return self._reply(404, {"Code": "NotFound", "Message": path})
                self._api("GET", "")

            def do_POST(self):
                path = urllib.parse.urlsplit(self.path).path
                body = self._body()
                if path == "/_stats/reset":
                    fake.reset_stats()
                    return self._reply(200, {})
                if path == "/_fail":
                    fake.fail_next(**json.loads(body))
                    return self._reply(200, {})
                if path != "/":
                    return self._reply(404, {"Code": "NotFound", "Message": path})
                self._api("POST", body)

        return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--access-key-id", required=True)
    ap.add_argument("--access-key-secret", required=True)
    ap.add_argument("--domain", action="append", required=True)
    ap.add_argument("--dns-server", help="BIND primary, HOST[:PORT]")
    ap.add_argument("--tsig", help="NAME:BASE64SECRET[:ALGORITHM] for the primary")
    ap.add_argument("--sts", help="KEYID:SECRET:TOKEN of issued STS credentials")
    ap.add_argument("--oidc", help="ROLE_ARN,PROVIDER_ARN,TOKEN_FILE for AssumeRoleWithOIDC")
    ap.add_argument("--min-ttl", type=int, default=600)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per API answer")
    args = ap.parse_args()
    tsig = bind.parse_tsig(args.tsig) if args.tsig else None
    oidc = None
    if args.oidc:
        role, provider, token_file = args.oidc.split(",")
        oidc = {"role_arn": role, "provider_arn": provider, "token_file": token_file}
    fake = FakeAliDNS(args.access_key_id, args.access_key_secret, args.domain,
                      dns_server=args.dns_server, tsig=tsig,
                      sts_credentials=tuple(args.sts.split(":", 2)) if args.sts else None,
                      oidc=oidc, min_ttl=args.min_ttl, latency=args.latency,
                      port=args.port)
    print("listening on " + fake.url, flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
