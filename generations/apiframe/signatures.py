"""Apiframe webhook signatures: HMAC-SHA256 over the raw body, keyed with SHA-256(api key)."""

import hashlib
import hmac

PREFIX = "sha256="


def sign(body: bytes, api_key: str) -> str:
    """The X-Webhook-Signature header value Apiframe sends for this body."""
    key = hashlib.sha256(api_key.encode()).digest()
    return PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature_header: str | None, api_key: str) -> bool:
    """True when the header signs this exact body; accepts `sha256=<hex>` and a bare hex value."""
    if not signature_header or not api_key:
        return False
    received = signature_header.strip()
    if received.lower().startswith(PREFIX):
        received = received[len(PREFIX) :]
    expected = sign(body, api_key)[len(PREFIX) :]
    return hmac.compare_digest(expected.encode(), received.lower().encode())
