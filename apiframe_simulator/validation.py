"""Request validation from Apiframe's own OpenAPI subset (Draft 2020-12), with Zod-like messages.

`details` maps a dotted JSON path to messages, as Apiframe's 400 answers do:
- a bad value is keyed by its own path: `prompt`, `hailuoParams.resolution`, `webhookEvents.0`;
- a missing required field by the path it should have: `prompt`;
- unknown keys by the path of the object holding them (as Zod reports `unrecognized_keys`):
  `hailuoParams` for `hailuoParams.foo`, and `(root)` for an unknown top-level key;
- problems with the body as a whole (not JSON, not an object) under `(root)`;
- a bad query parameter by its name: `limit`, `status`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

from .contract import OPENAPI_PATH

ROOT = "(root)"
GENERATE = "POST /v2/videos/generate"
LIST_JOBS = "GET /v2/jobs"
LIST_MODELS = "GET /v2/models"
MAX_IDEMPOTENCY_KEY = 255

Details = dict[str, list[str]]

FORMAT_CHECKER = FormatChecker()
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


@FORMAT_CHECKER.checks("uri")
def _is_uri(value: object) -> bool:
    # jsonschema only checks "uri" with an optional extra package; this is RFC 3986's outline.
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    clean = not any(char.isspace() or ord(char) < 32 for char in value)
    return clean and bool(_SCHEME.fullmatch(parts.scheme)) and bool(parts.netloc or parts.path)


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return "T" in value.upper() and parsed.tzinfo is not None


@cache
def openapi() -> dict[str, Any]:
    return json.loads(OPENAPI_PATH.read_text())


def response_schema(operation: str, status: int) -> dict[str, Any]:
    """The JSON schema of one documented answer, e.g. ("GET /v2/jobs/{id}", 200)."""
    response = openapi()["paths"][operation]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]


@cache
def _generate_validator() -> Draft202012Validator:
    schema = openapi()["paths"][GENERATE]["requestBody"]
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


@cache
def _query_schema(operation: str) -> dict[str, Any]:
    """The operation's query parameters as one object schema (unknown parameters are ignored)."""
    parameters = [
        p for p in openapi()["paths"][operation].get("parameters", []) if p["in"] == "query"
    ]
    return {
        "type": "object",
        "properties": {p["name"]: p["schema"] for p in parameters},
        "required": [p["name"] for p in parameters if p.get("required")],
    }


def parse_query(operation: str, query: dict[str, list[str]]) -> tuple[dict[str, Any], Details]:
    """(the query's documented parameters, typed, defaults filled in; every problem with them).

    `query` is what `urllib.parse.parse_qs` gives; a repeated parameter counts by its last value.
    """
    schema = _query_schema(operation)
    values = {
        name: _coerce(query[name][-1], declared)
        for name, declared in schema["properties"].items()
        if query.get(name)
    }
    details: Details = {}
    for error in Draft202012Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(values):
        for path, message in _describe(error):
            _add(details, path, message)
    defaults = {
        name: declared["default"]
        for name, declared in schema["properties"].items()
        if "default" in declared
    }
    return defaults | values, details


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    # Query values are strings; a number that reads as one is one (as Zod's z.coerce does).
    if schema.get("type") == "integer" and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value


def normalize_generate(body: Any) -> Any:
    """Accept the product page's `webhook_url` as `webhookUrl` (the OpenAPI name wins if both)."""
    if isinstance(body, dict) and "webhook_url" in body and "webhookUrl" not in body:
        body = dict(body)
        body["webhookUrl"] = body.pop("webhook_url")
    return body


def validate_generate(body: Any, *, image_required: bool = False) -> Details:
    """Every problem with a (normalized) generate body; empty when it may be accepted.

    `image_required` plays an Apiframe that takes the model at MiniMax's word (image-to-video):
    a body without `hailuoParams.image` is refused, keyed by that path as Zod keys a missing field.
    """
    details: Details = {}
    for error in _generate_validator().iter_errors(body):
        for path, message in _describe(error):
            _add(details, path, message)
    if image_required and isinstance(body, dict):
        params = body.get("hailuoParams")
        if params is None or (isinstance(params, dict) and "image" not in params):
            _add(details, "hailuoParams.image", "Required")
    if not details:
        for path, message in _product_rules(body):
            _add(details, path, message)
    return details


def validate_idempotency_key(value: str | None) -> Details:
    if value is not None and len(value) > MAX_IDEMPOTENCY_KEY:
        return {"Idempotency-Key": [f"Must be at most {MAX_IDEMPOTENCY_KEY} characters"]}
    return {}


def _product_rules(body: dict[str, Any]) -> list[tuple[str, str]]:
    """What the schema cannot say: Hailuo 2.3 makes 1080p clips of 6 s only; URLs are web URLs."""
    problems = []
    params = body.get("hailuoParams") or {}
    if params.get("resolution") == "1080p" and params.get("duration") == 10:
        problems.append(("hailuoParams.duration", "1080p clips can only be 6 seconds long"))
    urls = {"hailuoParams.image": params.get("image"), "webhookUrl": body.get("webhookUrl")}
    for path, url in urls.items():
        if url is not None and not is_web_url(url):
            problems.append((path, "Expected an http:// or https:// URL"))
    return problems


def is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _describe(error: ValidationError) -> list[tuple[str, str]]:
    path = _dotted(list(error.absolute_path))
    instance, expected = error.instance, error.validator_value
    match error.validator:
        case "required":
            return [
                (_dotted([*error.absolute_path, name]), "Required")
                for name in expected
                if isinstance(instance, dict) and name not in instance
            ]
        case "additionalProperties":
            known = set(error.schema.get("properties", {}))
            extra = ", ".join(f"'{key}'" for key in sorted(set(instance) - known))
            return [(path, f"Unrecognized key(s) in object: {extra}")]
        case "enum":
            return [(path, f"Expected {_choices(expected)}, received {_show(instance)}")]
        case "anyOf" if all("enum" in option for option in expected):
            values = [value for option in expected for value in option["enum"]]
            return [(path, f"Expected {_choices(values)}, received {_show(instance)}")]
        case "type":
            return [(path, f"Expected {expected}, received {_json_type(instance)}")]
        case "minLength":
            return [(path, f"String must contain at least {expected} character(s)")]
        case "maxLength":
            return [(path, f"String must contain at most {expected} character(s)")]
        case "minItems":
            return [(path, f"Array must contain at least {expected} element(s)")]
        case "format" if expected == "uri":
            return [(path, "Invalid url")]
        case "format" if expected == "uuid":
            return [(path, "Invalid uuid")]
        case "minimum":
            return [(path, f"Number must be greater than or equal to {expected}")]
        case "maximum":
            return [(path, f"Number must be less than or equal to {expected}")]
    return [(path, error.message)]


def _add(details: Details, path: str, message: str) -> None:
    messages = details.setdefault(path, [])
    if message not in messages:
        messages.append(message)


def _dotted(path: list[Any]) -> str:
    return ".".join(str(part) for part in path) or ROOT


def _choices(values: list[Any]) -> str:
    return " | ".join(_show(value) for value in values)


def _show(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else f"'{value}'"


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "number", float: "number", str: "string", list: "array"}
    return "null" if value is None else names.get(type(value), "object")
