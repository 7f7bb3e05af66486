"""Guessing share tokens is throttled per address, as failed logins are (generations/throttle.py):
after too many unknown tokens in a minute an address is answered 429, before any lookup, and it
costs one cache read; other addresses, and the minute after, are unaffected."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from generations.models import ShareLink
from generations.throttle import SHARE_TOKEN_GUESSES
from tests.clip_files import stored_clip


@pytest.fixture
def link(alice, make_generation) -> ShareLink:
    fox = stored_clip(make_generation, alice, "A red fox in fresh snow")
    return ShareLink.make(by=alice, generation=fox, expiry_days=30, allow_download=True)


def guess(client: Client, n: int) -> int:
    return client.get(f"/s/guess{n:038d}/").status_code


def test_an_address_guessing_tokens_is_paused(link):
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(SHARE_TOKEN_GUESSES.attempts):
        assert guess(guesser, n) == 404
    paused = guesser.get(f"/s/{link.token}/")
    assert paused.status_code == 429
    assert "Too many tries" in paused.content.decode()
    assert int(paused["Retry-After"]) <= SHARE_TOKEN_GUESSES.window_seconds
    assert paused["X-Robots-Tag"] == "noindex"
    # Another address is not paused by it; the same one is again a minute later.
    assert Client(REMOTE_ADDR="198.51.100.4").get(f"/s/{link.token}/").status_code == 200
    later = timezone.now() + timedelta(seconds=SHARE_TOKEN_GUESSES.window_seconds + 1)
    with time_machine.travel(later):
        assert guesser.get(f"/s/{link.token}/").status_code == 200


def test_a_paused_answer_costs_one_cache_read(link):
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(SHARE_TOKEN_GUESSES.attempts):
        guess(guesser, n)
    with CaptureQueriesContext(connection) as queries:
        assert guess(guesser, 999) == 429
    assert len(queries) <= 1, [query["sql"] for query in queries]
    assert not any("sharelink" in query["sql"] for query in queries)


def test_expired_and_revoked_links_are_not_counted_as_guesses(alice, link):
    visitor = Client(REMOTE_ADDR="203.0.113.10")
    link.revoke(by=alice)
    for _ in range(SHARE_TOKEN_GUESSES.attempts + 5):
        assert visitor.get(f"/s/{link.token}/").status_code == 404
    fresh = ShareLink.make(by=alice, generation=link.generation, expiry_days=7, allow_download=True)
    assert visitor.get(f"/s/{fresh.token}/").status_code == 200


def test_an_ipv6_guesser_cannot_rotate_through_its_network(link):
    for n in range(SHARE_TOKEN_GUESSES.attempts):
        assert guess(Client(REMOTE_ADDR=f"2001:db8::{n + 1:x}"), n) == 404
    assert Client(REMOTE_ADDR="2001:db8::ffff").get(f"/s/{link.token}/").status_code == 429
