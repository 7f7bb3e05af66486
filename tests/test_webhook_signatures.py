import hashlib
import hmac

from generations.apiframe import signatures

BODY = b'{"event":"completed","jobId":"b2c3d4e5-f6a7-8901-bcde-f23456789012","status":"COMPLETED"}'
KEY = "afk_test_key"


def test_it_signs_as_the_contract_describes():
    expected = hmac.new(hashlib.sha256(KEY.encode()).digest(), BODY, hashlib.sha256).hexdigest()
    assert signatures.sign(BODY, KEY) == f"sha256={expected}"


def test_it_accepts_the_prefixed_form():
    assert signatures.verify(BODY, signatures.sign(BODY, KEY), KEY)


def test_it_accepts_a_bare_hex_value():
    bare = signatures.sign(BODY, KEY).removeprefix("sha256=")
    assert signatures.verify(BODY, bare, KEY)


def test_it_accepts_upper_case_hex():
    assert signatures.verify(BODY, signatures.sign(BODY, KEY).upper().replace("SHA256=", ""), KEY)


def test_it_refuses_a_changed_body():
    assert not signatures.verify(BODY + b" ", signatures.sign(BODY, KEY), KEY)


def test_it_refuses_another_key():
    assert not signatures.verify(BODY, signatures.sign(BODY, "afk_other"), KEY)


def test_it_refuses_a_missing_or_empty_signature():
    assert not signatures.verify(BODY, None, KEY)
    assert not signatures.verify(BODY, "", KEY)
    assert not signatures.verify(BODY, "sha256=", KEY)


def test_it_refuses_when_the_studio_has_no_key():
    assert not signatures.verify(BODY, signatures.sign(BODY, ""), "")
