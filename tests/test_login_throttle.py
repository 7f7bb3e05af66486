"""Guessing passwords is slowed down: after five wrong ones for a user name, or twenty from one
address, logging in pauses for a quarter of an hour, and the login page says how long to wait."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from generations import throttle
from tests.fixtures import PASSWORD

WRONG = "not the password"


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand."""

    class Clock:
        now = 1_900_000_000.0

        def advance(self, seconds: float) -> None:
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(throttle.time, "time", lambda: fake.now)
    return fake


def log_in(username: str, password: str, address: str = "203.0.113.10", **headers):
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        reverse("login"), {"username": username, "password": password}, **headers
    )
    return response, client


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(username: str, times: int, address: str = "203.0.113.10") -> None:
    for _ in range(times):
        response, _ = log_in(username, WRONG, address)
        assert "don't match" in response.content.decode()


def test_it_logs_a_member_in(alice):
    response, client = log_in("alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_it_pauses_a_user_name_after_five_wrong_passwords(alice, clock):
    fail("alice", 5)
    response, client = log_in("alice", PASSWORD)  # even the right password waits
    assert response.status_code == 429 and not logged_in(client)
    assert "Too many failed attempts to log in" in response.content.decode()
    assert "try again in 15 minutes." in response.content.decode()


def test_it_counts_down_the_wait(alice, clock):
    fail("alice", 5)
    clock.advance(14 * 60 + 30)
    response, _ = log_in("alice", PASSWORD)
    assert "try again in 30 seconds." in response.content.decode()
    clock.advance(31)
    response, client = log_in("alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_it_pauses_the_user_name_from_every_address(alice, clock):
    fail("alice", 5, address="203.0.113.10")
    response, _ = log_in("alice", PASSWORD, address="198.51.100.20")
    assert response.status_code == 429


def test_it_ignores_upper_case_tricks(alice, clock):
    fail("ALICE", 3)
    fail("Alice", 2)
    assert log_in("alice", PASSWORD)[0].status_code == 429


def test_it_leaves_other_members_alone(alice, bob, clock):
    fail("alice", 5)
    response, client = log_in("bob", PASSWORD, address="198.51.100.20")
    assert response.status_code == 302 and logged_in(client)


def test_a_success_clears_the_user_names_count(alice, clock):
    fail("alice", 4)
    assert log_in("alice", PASSWORD)[0].status_code == 302
    fail("alice", 4)
    assert log_in("alice", PASSWORD)[0].status_code == 302


def test_it_pauses_an_address_trying_many_user_names(alice, clock):
    for number in range(20):
        fail(f"guess{number}", 1)
    response, client = log_in("alice", PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    # The same member from another address is not held up.
    assert log_in("alice", PASSWORD, address="198.51.100.20")[0].status_code == 302


def test_it_throttles_the_admins_login_page_too(staff, clock):
    for _ in range(5):
        Client().post(reverse("admin:login"), {"username": "sam", "password": WRONG})
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "sam", "password": PASSWORD})
    assert "Too many failed attempts to log in" in response.content.decode()
    assert not logged_in(client)


def test_a_right_password_for_a_member_on_the_admin_page_is_not_a_failure(alice, clock):
    for _ in range(6):
        Client().post(reverse("admin:login"), {"username": "alice", "password": PASSWORD})
    assert log_in("alice", PASSWORD)[0].status_code == 302


@pytest.mark.parametrize(
    "peer, forwarded, seen",
    [
        ("203.0.113.10", "", "203.0.113.10"),
        ("203.0.113.10", "198.51.100.7", "203.0.113.10"),  # anyone can write the header
        ("127.0.0.1", "10.0.0.1, 198.51.100.7", "198.51.100.7"),  # our proxy added the last
        ("127.0.0.1", "not an address", "127.0.0.1"),
        ("::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_it_trusts_x_forwarded_for_only_from_a_proxy_on_this_machine(peer, forwarded, seen):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR=peer, **headers)
    assert throttle.client_address(request) == seen


def test_every_web_worker_sees_the_same_counts(alice, settings):
    # gunicorn runs several processes: a per-process memory cache would multiply the limits.
    backend = caches[throttle.CACHE]
    assert isinstance(backend, DatabaseCache | RedisCache)
    if isinstance(backend, DatabaseCache):
        fail("alice", 1)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {settings.CACHES[throttle.CACHE]['LOCATION']}")
            assert cursor.fetchone()[0] == 2  # the user name's count and the address's


@pytest.mark.parametrize(
    "seconds, words",
    [(1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"), (900, "15 minutes")],
)
def test_it_says_the_wait_in_words(seconds, words):
    assert throttle.wait_message(seconds).endswith(f"try again in {words}.")
