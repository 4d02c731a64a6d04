#!/usr/bin/env python3
"""Independent signer for Ingo's Banking Platform API v4 (stdlib only).

Implements the documented HMAC-SHA512 scheme (Kong hmac-auth, draft-cavage
HTTP Signatures) straight from the reference page, sharing no code with the
Rust client or the sandbox, so that each can be checked against it.

Send a signed request (exit 0 on a 2xx answer, else 1):

    python3 tools/ingo_sign.py --base-url http://127.0.0.1:PORT/api/v4 \\
        --api-key K --username U --secret S \\
        --path /payment-intent/program/all --body '{"per_page":5}' \\
        [--tamper-body] [--stale-date]

Print the header values only (known-answer vectors):

    python3 tools/ingo_sign.py --sign-only --date "Fri, 17 Jan 2020 19:59:29 GMT" \\
        --username U --secret S --path /payment-intent/program/all \\
        --body '{"per_page":5}' [--base-url URL]
"""

import argparse
import base64
import email.utils
import hashlib
import hmac
import http.client
import sys
import time
import urllib.parse

SIGNED_HEADERS = "request-line x-date content-type content-sha512 content-length"
DEFAULT_BASE_URL = "https://api.sdev.banking.ingopayments.tech/api/v4"


def sign(method, target, x_date, body, username, secret):
    """Returns (content_sha512, authorization) for the given request parts."""
    content_type = "application/json"
    content_sha512 = base64.b64encode(hashlib.sha512(body).digest()).decode("ascii")
    signing_string = "\n".join(
        [
            f"{method} {target} HTTP/1.1",
            f"x-date: {x_date}",
            f"content-type: {content_type}",
            f"content-sha512: {content_sha512}",
            f"content-length: {len(body)}",
        ]
    )
    digest = hmac.new(secret.encode("utf-8"), signing_string.encode("utf-8"), hashlib.sha512).digest()
    signature = base64.b64encode(digest).decode("ascii")
    authorization = (
        f'hmac username="{username}", algorithm="hmac-sha512", '
        f'headers="{SIGNED_HEADERS}", signature="{signature}"'
    )
    return content_sha512, authorization


def main(argv):
    parser = argparse.ArgumentParser(description="Sign (and send) one Ingo Banking API request.")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL)
    parser.add_argument("--api-key", default="")
    parser.add_argument("--username", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--path", required=True, help="operation path relative to the base URL")
    parser.add_argument("--body", default="{}")
    parser.add_argument("--tamper-body", action="store_true", help="sign one body, send another")
    parser.add_argument("--stale-date", action="store_true", help="X-Date 10 minutes in the past")
    parser.add_argument("--sign-only", action="store_true", help="print the header values, send nothing")
    parser.add_argument("--date", help="X-Date to use (IMF-fixdate); default now")
    args = parser.parse_args(argv)

    url = urllib.parse.urlsplit(args.base_url)
    target = url.path.rstrip("/") + args.path
    body = args.body.encode("utf-8")
    if args.date:
        x_date = args.date
    else:
        offset = 600 if args.stale_date else 0
        x_date = email.utils.formatdate(time.time() - offset, usegmt=True)
    content_sha512, authorization = sign("POST", target, x_date, body, args.username, args.secret)

    if args.sign_only:
        print(f"Content-sha512: {content_sha512}")
        print(f"Authorization: {authorization}")
        return 0

    # Tampering appends a space: still the same JSON, but not the signed bytes.
    sent = body + b" " if args.tamper_body else body
    headers = {
        "X-Date": x_date,
        "Content-Type": "application/json",
        "Content-sha512": content_sha512,
        "Content-Length": str(len(sent)),
        "Authorization": authorization,
        "api_key": args.api_key,
    }
    if url.scheme == "https":
        conn = http.client.HTTPSConnection(url.hostname, url.port or 443, timeout=30)
    else:
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=30)
    try:
        conn.putrequest("POST", target, skip_host=False, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders(sent)
        response = conn.getresponse()
        payload = response.read().decode("utf-8", errors="replace")
    finally:
        conn.close()
    print(response.status)
    print(payload)
    return 0 if 200 <= response.status < 300 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
