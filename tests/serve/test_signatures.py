"""Signature schemes, checked in process against the `standardwebhooks` package's own signing."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from types import SimpleNamespace

import pytest

from copilot.errors import FlowgenError
from copilot.serve.signatures import sign, verifier_for
from tests.serve.conftest import OLD_SECRET, SECRET, signed

ENV = {"NEW": SECRET, "BOTH": f"{SECRET} {OLD_SECRET}", "PLAIN": "s3cret", "OLDPLAIN": "old s3cret"}


def auth(scheme: str, secret: str = "${env:NEW}", **kw: object) -> SimpleNamespace:
    return SimpleNamespace(
        scheme=scheme, secret=secret, header=kw.get("header"), tolerance=kw.get("tolerance")
    )


def test_standard_webhooks_interoperates_with_the_package():
    verifier = verifier_for(auth("standard-webhooks"), ENV, where="t")
    body, headers = signed({"id": "1", "text": "hi"})
    assert verifier.verify(headers, body) is None
    # And the package verifies what `sign` (replay's signer) writes.
    from standardwebhooks import Webhook

    ours = sign(verifier, body, msg_id="msg_1")
    assert Webhook(SECRET).verify(body, ours) == {"id": "1", "text": "hi"}


def test_standard_webhooks_refusals_say_why_without_the_secret():
    verifier = verifier_for(auth("standard-webhooks"), ENV, where="t")
    body, headers = signed({"id": "1"})
    assert "no v1 signature" in verifier.verify(headers, body + b" ")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    body, stale = signed({"id": "1"}, when=old)
    assert "tolerance" in verifier.verify(stale, body)
    assert "missing" in verifier.verify({"content-type": "application/json"}, body)
    for reason in (verifier.verify(headers, b"x"), verifier.verify(stale, body)):
        assert SECRET not in reason and SECRET.removeprefix("whsec_") not in reason


def test_several_signatures_in_one_header_and_rotation():
    verifier = verifier_for(auth("standard-webhooks", "${env:BOTH}"), ENV, where="t")
    body, headers = signed({"id": "1"}, secret=OLD_SECRET)
    assert verifier.verify(headers, body) is None  # the old secret still verifies while rotating
    _, other = signed({"id": "1"}, secret=SECRET, msg_id=headers["webhook-id"])
    headers["webhook-signature"] = (
        "v1,AAAA " + other["webhook-signature"].split(",")[0] + ",bad " + (other["webhook-signature"])
    )
    assert verifier.verify(headers, body) is None
    only_new = verifier_for(auth("standard-webhooks"), ENV, where="t")
    body, headers = signed({"id": "1"}, secret=OLD_SECRET)
    assert only_new.verify(headers, body) is not None


def test_github_and_generic_hmac():
    github = verifier_for(auth("github", "${env:PLAIN}"), ENV, where="t")
    digest = hmac.new(b"s3cret", b"{}", hashlib.sha256).hexdigest()
    assert github.verify({"x-hub-signature-256": f"sha256={digest}"}, b"{}") is None
    assert github.verify({"x-hub-signature-256": digest}, b"{}") is not None  # needs its prefix
    assert github.verify({"x-hub-signature-256": f"sha256={digest}"}, b"{ }") is not None
    generic = verifier_for(auth("hmac-sha256", "${env:OLDPLAIN}", header="X-Sig"), ENV, where="t")
    assert generic.verify({"x-sig": hmac.new(b"s3cret", b"{}", hashlib.sha256).hexdigest()}, b"{}") is None
    assert generic.verify({}, b"{}") == "missing X-Sig header"


def test_missing_secret_is_a_startup_error_naming_the_variable():
    with pytest.raises(FlowgenError, match="NOPE is not set"):
        verifier_for(auth("github", "${env:NOPE}"), ENV, where="t")
    assert verifier_for(None, ENV, where="t") is None
    assert verifier_for(auth("none"), ENV, where="t") is None
