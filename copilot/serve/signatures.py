"""Webhook signatures, per `trigger.auth`: Standard Webhooks, GitHub, a generic HMAC header.

Each scheme is a `Verifier`: `verify(headers, body)` returns None for a genuine delivery,
or the reason it is not (for the server log only: the client gets a bare 401). Digests are
compared with `hmac.compare_digest`. Secrets come from `${env:NAME}`; a variable may hold
several secrets separated by spaces (rotation: the old and the new secret both verify
while senders move over). The reason never quotes a secret or a signature.

`sign` is the other half, for `flowgen replay` (and the tests' own cross-checks): the
headers that make a body genuine under a scheme.

Standard Webhooks (https://www.standardwebhooks.com): the signed content is
`{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256 with the base64 key after `whsec_`,
sent as `v1,<base64>`; one header may carry several signatures separated by spaces. The
timestamp must be within `auth.tolerance` (default 5 minutes) of now, either way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass

from copilot.errors import FlowgenError

DEFAULT_TOLERANCE = 300.0
DEFAULT_HMAC_HEADER = "X-Signature"


def resolve_secrets(reference: str | None, environ: Mapping[str, str], *, where: str) -> tuple[str, ...]:
    """The secrets behind `${env:NAME}` (several, space-separated, for rotation)."""
    from copilot.flow.units import resolve_env

    if not reference:
        raise FlowgenError(f"{where}: auth needs a `secret` (${{env:NAME}})")
    try:
        text = resolve_env(reference, dict(environ))
    except KeyError as exc:
        raise FlowgenError(f"{where}: environment variable {exc.args[0]} is not set") from None
    secrets = tuple(part for part in text.split() if part)
    if not secrets:
        raise FlowgenError(f"{where}: the auth secret is empty")
    return secrets


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64 after `whsec_` (raw bytes otherwise)."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except ValueError:
            raise FlowgenError("a whsec_ secret is not valid base64") from None
    return secret.encode()


@dataclass(frozen=True, slots=True)
class Verifier:
    """How one flow checks deliveries: its scheme, keys (several while rotating) and tolerance."""

    scheme: str
    keys: tuple[bytes, ...]
    header: str = DEFAULT_HMAC_HEADER
    tolerance: float = DEFAULT_TOLERANCE

    def verify(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> str | None:
        """None when the delivery is genuine; otherwise why not (for the log, never the client)."""
        if self.scheme == "standard-webhooks":
            return self._standard(headers, body, time.time() if now is None else now)
        if self.scheme == "github":
            return self._hex(
                headers.get("x-hub-signature-256"), "X-Hub-Signature-256", body, prefix="sha256="
            )
        return self._hex(headers.get(self.header.lower()), self.header, body, prefix="")

    def _standard(self, headers: Mapping[str, str], body: bytes, now: float) -> str | None:
        msg_id = headers.get("webhook-id")
        stamp = headers.get("webhook-timestamp")
        signatures = headers.get("webhook-signature")
        if not msg_id or not stamp or not signatures:
            return "missing webhook-id, webhook-timestamp or webhook-signature header"
        try:
            sent = int(stamp)
        except ValueError:
            return "webhook-timestamp is not an integer"
        if abs(now - sent) > self.tolerance:
            return (
                f"webhook-timestamp is {now - sent:+.0f}s from now, outside the {self.tolerance:g}s tolerance"
            )
        content = f"{msg_id}.{stamp}.".encode() + body
        # Not `hmac.digest` (OpenSSL's one-shot): it gives up the GIL around even a short
        # message, and the event loop then waits for the store's writer thread to hand it back.
        expected = [base64.b64encode(hmac.new(k, content, hashlib.sha256).digest()) for k in self.keys]
        for item in signatures.split():
            version, _, value = item.partition(",")
            if version != "v1":
                continue
            given = value.encode()
            if any(hmac.compare_digest(given, e) for e in expected):
                return None
        return "no v1 signature in webhook-signature matches"

    def _hex(self, value: str | None, name: str, body: bytes, *, prefix: str) -> str | None:
        if not value:
            return f"missing {name} header"
        given = value.strip()
        if given.lower().startswith("sha256="):
            given = given[len("sha256=") :]
        elif prefix:
            return f"{name} does not start with {prefix}"
        expected = [hmac.new(k, body, hashlib.sha256).hexdigest() for k in self.keys]
        if any(hmac.compare_digest(given.lower().encode(), e.encode()) for e in expected):
            return None
        return f"{name} does not match"


def verifier_for(auth: object | None, environ: Mapping[str, str], *, where: str) -> Verifier | None:
    """The verifier of a trigger's `auth` (None when the flow has none, or `scheme: none`)."""
    scheme = getattr(auth, "scheme", "none")
    if auth is None or scheme == "none":
        return None
    secrets = resolve_secrets(getattr(auth, "secret", None), environ, where=where)
    if scheme == "standard-webhooks":
        keys = tuple(standard_key(s) for s in secrets)
    else:
        keys = tuple(s.encode() for s in secrets)
    tolerance = getattr(auth, "tolerance", None) or DEFAULT_TOLERANCE
    header = getattr(auth, "header", None) or DEFAULT_HMAC_HEADER
    return Verifier(scheme, keys, header, tolerance)


def sign(verifier: Verifier, body: bytes, *, msg_id: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers that make `body` genuine under `verifier`'s scheme (signed with its first key)."""
    key = verifier.keys[0]
    if verifier.scheme == "standard-webhooks":
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        content = f"{msg_id}.{stamp}.".encode() + body
        signature = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        return {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": f"v1,{signature}"}
    digest = hmac.new(key, body, hashlib.sha256).hexdigest()
    if verifier.scheme == "github":
        return {"X-Hub-Signature-256": f"sha256={digest}", "X-GitHub-Delivery": msg_id}
    return {verifier.header: f"sha256={digest}"}
