#!/usr/bin/env python3
"""The sandbox against its spec, by schemathesis (an independent, schema-based
property tester): for every operation, bounded examples of valid bodies, each
signed by tools/ingo_sign.py (independent of the Rust code), must be answered
within the spec (documented status, content type, response schema); and
bodies the spec forbids (schemathesis' negative mode) must be refused with a
4xx, never accepted.

    sandbox_schemathesis.py SPEC BASE_URL API_KEY USERNAME SECRET [EXAMPLES]

Exits 1 naming every operation and check that failed."""
import email.utils
import os
import sys
import urllib.parse

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import ignored_auth

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import ingo_sign  # noqa: E402

spec, base_url, api_key, username, secret = sys.argv[1:6]
examples = int(sys.argv[6]) if len(sys.argv) > 6 else 25


class Signed(requests.auth.AuthBase):
    """The gateway's scheme, over the exact bytes requests will send."""

    def __call__(self, r):
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        r.body = body
        target = urllib.parse.urlsplit(r.url)
        path = target.path + (f"?{target.query}" if target.query else "")
        x_date = email.utils.formatdate(usegmt=True)
        digest, authorization = ingo_sign.sign(r.method, path, x_date, body, username, secret)
        r.headers.update(
            {
                "X-Date": x_date,
                "Content-Type": "application/json",
                "Content-sha512": digest,
                "Content-Length": str(len(body)),
                "Authorization": authorization,
                "api_key": api_key,
            }
        )
        return r


schema = schemathesis.openapi.from_path(spec)
session = requests.Session()
session.auth = Signed()
failures = []


def keyed(case):
    # The body's `api_key` field, when the spec has one, is the real key (a
    # generated one would be refused by the gateway, rightly).
    if isinstance(case.body, dict) and "api_key" in case.body:
        case.body["api_key"] = api_key
    return case


def run(operation, mode):
    name = f"{operation.method.upper()} {operation.path} ({mode.name.lower()})"
    seen = {"calls": 0}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        # A negative case may break a header the signing session then sets
        # right (api_key, Authorization): only a broken body must be refused.
        if mode == GenerationMode.NEGATIVE and not (
            case.meta and case.meta.is_negative_at(ParameterLocation.BODY)
        ):
            return
        # A valid body carries the real key; a negative one keeps what was
        # generated, which may be the very field made invalid.
        if mode == GenerationMode.POSITIVE:
            keyed(case)
        response = case.call(base_url=base_url, session=session)
        seen["calls"] += 1
        if mode == GenerationMode.NEGATIVE:
            if response.status_code < 400 or response.status_code >= 500:
                raise AssertionError(
                    f"a body the spec forbids was answered {response.status_code}: "
                    f"{case.body!r} -> {response.text[:300]}"
                )
        else:
            # The session signs every request afresh, so a request schemathesis
            # meant to send unauthenticated is authenticated: not its check to make
            # here (the sandbox's gateway tests refuse bad signatures).
            case.validate_response(response, excluded_checks=[ignored_auth])

    try:
        check()
        print(f"ok    {name}: {seen['calls']} examples")
    except Exception as e:  # hypothesis re-raises the shrunk failure
        failures.append(name)
        print(f"FAIL  {name}: {str(e).strip()[:2000]}")


for result in schema.get_all_operations():
    operation = result.ok()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        run(operation, mode)

if failures:
    print(f"{len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("every operation answered within its spec, and refused what the spec forbids")
