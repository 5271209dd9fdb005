#!/usr/bin/env python3
"""A webhook receiver for Vaultgate notifications, as a subscriber would write one.

Usage: webhook-receiver.py PORT SIGNING_SECRET OUTFILE
Listens on 127.0.0.1:PORT; every POST whose X-Vaultgate-Signature checks out (HMAC-SHA256 with the
subscription's signing secret over "<t>." + the raw body, t within 5 minutes) is answered 200 and
its JSON message appended to OUTFILE as one line; anything else is answered 401 (and retried).
A SubscriptionConfirmation is confirmed by visiting its SubscribeURL, as SNS receivers do.
"""
import hashlib
import hmac
import http.server
import json
import sys
import time
import urllib.request

port, secret, outfile = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]


def verified(header, body):
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts or abs(time.time() - int(parts["t"])) > 300:
        return False
    expected = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = verified(self.headers.get("X-Vaultgate-Signature", ""), body)
        self.send_response(200 if ok else 401)
        self.end_headers()
        if not ok:
            return
        message = json.loads(body)
        if message.get("Type") == "SubscriptionConfirmation":
            with urllib.request.urlopen(message["SubscribeURL"], timeout=10) as answer:
                answer.read()
        with open(outfile, "a") as f:
            f.write(json.dumps(message) + "\n")

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Receiver).serve_forever()
