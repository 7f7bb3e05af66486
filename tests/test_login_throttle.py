"""Guessing passwords is slowed down, and a stranger can't lock a member out.

A browser that has logged in as a user name before is paused only by its own five wrong passwords.
Any other browser pauses for a quarter of an hour after five wrong passwords for a user name from
its address, twenty from its address, or twenty for the user name from everywhere; the login page
says how long to wait.
"""

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
MEMBERS_ADDRESS = "203.0.113.10"
STRANGERS_ADDRESS = "198.51.100.66"


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


def log_in(username: str, password: str, address: str = MEMBERS_ADDRESS, client=None, **headers):
    """An attempt from `client` (a browser), or from a new browser that never logged in."""
    client = client or Client(REMOTE_ADDR=address)
    response = client.post(
        reverse("login"), {"username": username, "password": password}, **headers
    )
    return response, client


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(username: str, times: int, address: str = MEMBERS_ADDRESS) -> None:
    """Wrong passwords, each from a new browser (a script keeps no cookies)."""
    for _ in range(times):
        response, _ = log_in(username, WRONG, address)
        assert "don't match" in response.content.decode()


def guess(username: str, times: int, address: str) -> None:
    """A script's wrong passwords, carrying on when they are refused."""
    for _ in range(times):
        assert log_in(username, WRONG, address)[0].status_code in (200, 429)


@pytest.fixture
def alices_browser(alice, clock) -> Client:
    """The browser Alice logged in with before, logged out since (its cookie dated by `clock`)."""
    response, browser = log_in("alice", PASSWORD)
    assert response.status_code == 302
    browser.post(reverse("logout"))
    assert not logged_in(browser)
    return browser


def test_it_logs_a_member_in(alice):
    response, client = log_in("alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_a_strangers_failures_do_not_keep_a_member_out_of_her_own_browser(alices_browser, clock):
    guess("alice", 30, address=MEMBERS_ADDRESS)  # even from her own address (one office, one NAT)
    for number in range(40):
        guess("alice", 1, address=f"198.51.100.{number}")
    guess("ALICE", 30, address=STRANGERS_ADDRESS)
    assert log_in("alice", PASSWORD, address=MEMBERS_ADDRESS)[0].status_code == 429
    response, _ = log_in("alice", PASSWORD, client=alices_browser)
    assert response.status_code == 302 and logged_in(alices_browser)


def test_a_known_browser_is_paused_by_its_own_failures_only(alices_browser, clock):
    for _ in range(5):
        assert log_in("alice", WRONG, client=alices_browser)[0].status_code == 200
    response, _ = log_in("alice", PASSWORD, client=alices_browser)
    assert response.status_code == 429 and not logged_in(alices_browser)
    # Its mistakes counted against the browser, not against the address or the user name.
    assert log_in("alice", PASSWORD)[0].status_code == 302
    clock.advance(15 * 60)
    assert log_in("alice", PASSWORD, client=alices_browser)[0].status_code == 302


def test_it_pauses_a_new_browser_after_five_wrong_passwords_from_its_address(alice, clock):
    fail("alice", 5)
    response, client = log_in("alice", PASSWORD)  # even the right password waits
    assert response.status_code == 429 and not logged_in(client)
    assert "Too many failed attempts to log in" in response.content.decode()
    assert "try again in 15 minutes." in response.content.decode()
    # A new browser at another address is not held up by those five.
    assert log_in("alice", PASSWORD, address=STRANGERS_ADDRESS)[0].status_code == 302


def test_it_counts_down_the_wait(alice, clock):
    fail("alice", 5)
    clock.advance(14 * 60 + 30)
    response, _ = log_in("alice", PASSWORD)
    assert "try again in 30 seconds." in response.content.decode()
    clock.advance(31)
    response, client = log_in("alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_it_pauses_the_user_name_for_new_browsers_everywhere_after_twenty(alice, clock):
    for number in range(20):
        fail("alice", 1, address=f"198.51.100.{number}")
    assert log_in("alice", PASSWORD, address="192.0.2.1")[0].status_code == 429


def test_it_ignores_upper_case_tricks(alice, clock):
    fail("ALICE", 3)
    fail("Alice", 2)
    assert log_in("alice", PASSWORD)[0].status_code == 429


def test_it_leaves_other_members_alone(alice, bob, clock):
    fail("alice", 5)
    response, client = log_in("bob", PASSWORD, address=STRANGERS_ADDRESS)
    assert response.status_code == 302 and logged_in(client)


def test_a_browser_known_for_one_member_is_new_for_another(alice, bob, clock):
    _, bobs_browser = log_in("bob", PASSWORD)
    bobs_browser.post(reverse("logout"))
    fail("alice", 5)
    assert log_in("alice", PASSWORD, client=bobs_browser)[0].status_code == 429


def test_a_success_clears_the_count_of_its_user_name_and_address(alice, clock):
    fail("alice", 4)
    assert log_in("alice", PASSWORD)[0].status_code == 302
    fail("alice", 4)
    assert log_in("alice", PASSWORD)[0].status_code == 302


def test_it_pauses_an_address_trying_many_user_names(alices_browser, clock):
    for number in range(20):
        fail(f"guess{number}", 1)
    response, client = log_in("alice", PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    # The same member from another address, or from her own browser, is not held up.
    assert log_in("alice", PASSWORD, address=STRANGERS_ADDRESS)[0].status_code == 302
    assert log_in("alice", PASSWORD, client=alices_browser)[0].status_code == 302


def test_it_treats_one_ipv6_network_as_one_address(alice, clock):
    for host in range(5):
        fail("alice", 1, address=f"2001:db8:1:2::{host + 1:x}")
    assert log_in("alice", PASSWORD, address="2001:db8:1:2::99")[0].status_code == 429
    assert log_in("alice", PASSWORD, address="2001:db8:1:3::1")[0].status_code == 302


def test_it_knows_the_browser_by_a_signed_private_cookie(alice, settings):
    settings.SESSION_COOKIE_SECURE = True
    response, _ = log_in("alice", PASSWORD)
    cookie = response.cookies[throttle.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["secure"]
    assert int(cookie["max-age"]) == 365 * 24 * 60 * 60
    assert "alice" not in cookie.value


@pytest.mark.parametrize("tamper", [lambda value: value[:-2] + "xx", lambda value: "a:b"])
def test_a_forged_device_cookie_counts_for_nothing(alices_browser, clock, tamper):
    cookies = alices_browser.cookies
    cookies[throttle.DEVICE_COOKIE] = tamper(cookies[throttle.DEVICE_COOKIE].value)
    fail("alice", 5)
    assert log_in("alice", PASSWORD, client=alices_browser)[0].status_code == 429


def test_rotating_x_forwarded_for_does_not_escape_the_limit(alice, clock, settings):
    settings.TRUSTED_PROXIES = []  # a client on this machine, with no proxy named
    for number in range(5):
        response, _ = log_in(
            "alice", WRONG, address="127.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}"
        )
        assert response.status_code == 200
    response, _ = log_in("alice", PASSWORD, address="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_it_honours_the_client_address_a_named_proxy_forwards(alice, clock, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    for _ in range(5):
        log_in("alice", WRONG, address="127.0.0.1", HTTP_X_FORWARDED_FOR=STRANGERS_ADDRESS)
    via_proxy = {"address": "127.0.0.1"}
    assert (
        log_in("alice", PASSWORD, **via_proxy, HTTP_X_FORWARDED_FOR=STRANGERS_ADDRESS)[0]
        .status_code == 429
    )  # fmt: skip
    assert (
        log_in("alice", PASSWORD, **via_proxy, HTTP_X_FORWARDED_FOR=MEMBERS_ADDRESS)[0]
        .status_code == 302
    )  # fmt: skip


def test_it_throttles_the_admins_login_page_too(staff, clock):
    def admin_log_in(password: str, client=None):
        client = client or Client(REMOTE_ADDR=MEMBERS_ADDRESS)
        response = client.post(reverse("admin:login"), {"username": "sam", "password": password})
        return response, client

    assert admin_log_in(PASSWORD)[0].status_code == 302
    _, sams_browser = admin_log_in(PASSWORD)
    sams_browser.post(reverse("admin:logout"))
    for _ in range(5):
        admin_log_in(WRONG)
    response, client = admin_log_in(PASSWORD)
    assert response.status_code == 429 and not logged_in(client)
    assert "Too many failed attempts to log in" in response.content.decode()
    # The staff member's own browser still gets in.
    response, _ = admin_log_in(PASSWORD, client=sams_browser)
    assert response.status_code == 302 and logged_in(sams_browser)


def test_a_right_password_for_a_member_on_the_admin_page_is_not_a_failure(alice, clock):
    for _ in range(6):
        Client().post(reverse("admin:login"), {"username": "alice", "password": PASSWORD})
    assert log_in("alice", PASSWORD, address="127.0.0.1")[0].status_code == 302


@pytest.mark.parametrize(
    "proxies, peer, forwarded, seen",
    [
        ([], "203.0.113.10", "", "203.0.113.10"),
        ([], "203.0.113.10", "198.51.100.7", "203.0.113.10"),  # anyone can write the header
        ([], "127.0.0.1", "198.51.100.7", "127.0.0.1"),  # a local client too, unless named
        (["127.0.0.1/32"], "127.0.0.1", "10.0.0.1, 198.51.100.7", "198.51.100.7"),
        (["127.0.0.1/32"], "203.0.113.10", "198.51.100.7", "203.0.113.10"),
        (["127.0.0.1/32"], "127.0.0.1", "not an address", "127.0.0.1"),
        (["127.0.0.1/32"], "127.0.0.1", "", "127.0.0.1"),
        (["::1/128"], "::1", "2001:db8::5", "2001:db8::5"),
        # Two proxies of ours: the client is the last address that is not one of them.
        (["127.0.0.1/32", "10.0.0.0/8"], "127.0.0.1", "192.0.2.1, 198.51.100.7, 10.1.2.3",
         "198.51.100.7"),
        (["127.0.0.1/32", "10.0.0.0/8"], "127.0.0.1", "192.0.2.1, junk, 10.1.2.3", "10.1.2.3"),
    ],
)  # fmt: skip
def test_it_trusts_x_forwarded_for_only_from_proxies_it_is_told_of(
    settings, proxies, peer, forwarded, seen
):
    settings.TRUSTED_PROXIES = proxies
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
            assert cursor.fetchone()[0] == 3  # the name and address's, the address's, the name's


@pytest.mark.parametrize(
    "seconds, words",
    [(1, "1 second"), (45, "45 seconds"), (60, "1 minute"), (61, "2 minutes"), (900, "15 minutes")],
)
def test_it_says_the_wait_in_words(seconds, words):
    assert throttle.wait_message(seconds).endswith(f"try again in {words}.")
