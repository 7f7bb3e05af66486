"""What the simulator shares with the real Apiframe, kept here so it depends on nothing of the
studio's: the model's name, the OpenAPI subset it validates against, and webhook signing."""

import hashlib
import hmac
from pathlib import Path

MODEL = "hailuo-2.3-fast"
OPENAPI_PATH = Path(__file__).resolve().parent / "openapi-hailuo-2.3-fast.json"


def sign(body: bytes, api_key: str) -> str:
    """The X-Webhook-Signature header: HMAC-SHA256 over the body, keyed with SHA-256(api key)."""
    key = hashlib.sha256(api_key.encode()).digest()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
