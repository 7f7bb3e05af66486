"""Invites: staff press "Invite a member" and get a one-use link under /invite/<token>/ (7 days;
optional staff role and starting quota), shown once; only its hash is stored. The invitee picks
a user name and a password (Django's rules, errors in words, the user name kept) and is logged
in. A used, expired, revoked or unknown link says which; unknown ones count as guesses. Two tabs
accepting at once make one member. Made, used and revoked invites are audited."""

import logging
import re
import threading
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from generations.models import AuditEntry, AuditKind, Invite, MemberProfile, MemberQuota
from generations.models.team import InviteGone
from generations.throttle import INVITE_TOKEN_GUESSES

HTMX = {"HTTP_HX_REQUEST": "true"}
STRONG = "a lantern over quiet water"


def text(response) -> str:
    return unescape(response.content.decode())


def link_in(html: str) -> str:
    (url,) = set(re.findall(r'value="(http://testserver/invite/[^"]+)"', html))
    return url.removeprefix("http://testserver")


def join(client: Client, url: str, username="newcomer", password=STRONG, again=None):
    form = {"username": username, "password1": password, "password2": again or password}
    return client.post(url, form)


@pytest.fixture
def invite_url(staff) -> str:
    _, token = Invite.make(by=staff)
    return reverse("invite", args=[token])


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_staff_make_an_invite_shown_once_and_audited(staff, staff_client, htmx):
    headers = HTMX if htmx else {}
    response = staff_client.post(reverse("team_invite"), {"quota": "120"}, **headers)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = text(response)
    url = link_in(html)
    token = url.split("/")[2]
    assert len(token) == 43 and "Copy link" in html and "it is not shown again" in html
    invite = Invite.objects.get()
    assert invite.token_hash != token and token not in str(Invite.objects.values().get())
    assert (invite.as_staff, invite.monthly_credits, invite.made_by) == (False, 120, staff)
    assert invite.expires_at - invite.created_at == timedelta(days=7)
    later = text(staff_client.get(reverse("team")))
    assert token not in later and "made by sam" in later and "Revoke" in later
    entry = AuditEntry.objects.get(kind=AuditKind.INVITE_MADE)
    assert entry.actor == staff and token not in str(entry.after)
    assert entry.after["role"] == "member" and entry.after["monthly_credits"] == 120


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_bad_starting_quota_is_refused_in_words_keeping_what_was_typed(staff_client, htmx):
    headers = HTMX if htmx else {}
    form = {"quota": "plenty", "as_staff": "on"}
    response = staff_client.post(reverse("team_invite"), form, **headers)
    assert response.status_code == (200 if htmx else 400)
    html = text(response)
    assert "Write the quota as a whole number of credits" in html
    assert 'value="plenty"' in html and 'id="invite-staff" checked' in html
    assert not Invite.objects.exists() and not AuditEntry.objects.exists()


def test_the_invitee_joins_and_is_logged_in(staff, invite_url):
    visitor = Client()
    page = visitor.get(invite_url)
    assert page.status_code == 200 and "Join Hailuo Studio" in text(page)
    assert "sam invited you to join the team" in text(page)
    response = join(visitor, invite_url)
    assert response.status_code == 302 and response["Location"] == reverse("studio")
    studio = visitor.get(reverse("studio"))
    assert studio.status_code == 200 and "Welcome to Hailuo Studio, newcomer." in text(studio)
    member = User.objects.get(username="newcomer")
    assert not member.is_staff and member.check_password(STRONG)
    assert not MemberQuota.objects.filter(member=member).exists()  # the team default
    assert MemberProfile.objects.get(member=member).last_seen_at is not None
    invite = Invite.objects.get()
    assert invite.used_by == member and invite.used_at is not None
    entry = AuditEntry.objects.get(kind=AuditKind.INVITE_USED)
    assert (entry.actor, entry.member) == (member, member)
    assert entry.before["state"] == "open" and entry.after["state"] == "used"


def test_a_starting_staff_role_and_quota_are_applied(staff):
    _, token = Invite.make(by=staff, as_staff=True, monthly_credits=300)
    url = reverse("invite", args=[token])
    assert "as staff" in text(Client().get(url))
    join(Client(), url, username="newstaff")
    member = User.objects.get(username="newstaff")
    assert member.is_staff and member.is_superuser
    assert MemberQuota.objects.get(member=member).monthly_credits == 300
    entry = AuditEntry.objects.get(kind=AuditKind.INVITE_USED)
    assert entry.after["role"] == "staff" and entry.after["monthly_credits"] == 300


def test_an_invite_works_once(invite_url):
    join(Client(), invite_url)
    for answer in (Client().get(invite_url), join(Client(), invite_url, username="second")):
        assert answer.status_code == 410
        html = text(answer)
        assert "This invite was already used" in html and "each invite works once" in html
        assert 'name="password1"' not in html
    assert not User.objects.filter(username="second").exists()


def test_an_expired_invite_says_so(invite_url):
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = Client().get(invite_url)
        assert response.status_code == 410
        assert "This invite expired on" in text(response) and "work for 7 days" in text(response)
        assert join(Client(), invite_url).status_code == 410
    assert not User.objects.filter(username="newcomer").exists()


def test_staff_revoke_a_pending_invite_and_its_link_says_so(staff, staff_client, invite_url):
    invite = Invite.objects.get()
    revoke = reverse("team_invite_revoke", args=[invite.pk])
    response = staff_client.post(revoke, **HTMX)
    assert "Revoked the invite" in text(response) and "No invite is waiting" in text(response)
    assert "Revoked by sam" in text(response)
    answer = Client().get(invite_url)
    assert answer.status_code == 410 and "This invite was withdrawn by staff" in text(answer)
    again = staff_client.post(revoke)
    assert again.status_code == 302
    assert "already used or revoked" in text(staff_client.get(reverse("team")))
    entry = AuditEntry.objects.get(kind=AuditKind.INVITE_REVOKED)
    assert entry.actor == staff and entry.before["state"] == "open"
    assert entry.after["state"] == "revoked"


def test_a_used_invite_cannot_be_revoked(staff, invite_url):
    join(Client(), invite_url)
    assert not Invite.objects.get().revoke(by=staff)
    assert not AuditEntry.objects.filter(kind=AuditKind.INVITE_REVOKED).exists()


def test_an_unknown_invite_says_so_and_counts_as_a_guess(db, caplog):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    with caplog.at_level(logging.INFO):
        for n in range(INVITE_TOKEN_GUESSES.attempts):
            answer = guesser.get(f"/invite/{'x' * 40}{n:03d}/")
            assert answer.status_code == 404
            assert "There's no invite at this address" in text(answer)
    assert "x" * 40 not in caplog.text  # a token in a path is not logged
    paused = guesser.get("/invite/anything/")
    assert paused.status_code == 429 and "Too many tries" in text(paused)
    assert int(paused["Retry-After"]) <= INVITE_TOKEN_GUESSES.window_seconds
    assert Client(REMOTE_ADDR="198.51.100.8").get("/invite/anything/").status_code == 404


def test_a_user_name_already_taken_is_refused_keeping_it(alice, invite_url):
    response = join(Client(), invite_url, username="ALICE")
    assert response.status_code == 200
    html = text(response)
    assert "A user with that username already exists." in html
    assert 'value="ALICE"' in html and STRONG not in html
    assert Invite.objects.get().used_at is None


@pytest.mark.parametrize(
    "password, again, words, under",
    [
        ("1234", "1234", "This password is too short", "id_password1_error"),
        ("password123", "password123", "This password is too common", "id_password1_error"),
        (STRONG, STRONG + "!", "The two password fields didn’t match", "id_password2_error"),
    ],
    ids=["short", "common", "mismatched"],
)
def test_a_weak_or_mismatched_password_is_refused_in_words(
    invite_url, password, again, words, under
):
    response = join(Client(), invite_url, username="keeps-this", password=password, again=again)
    assert response.status_code == 200
    html = text(response)
    error = html[html.index(f'id="{under}"') :]
    assert words in error[: error.index("</div>")]
    assert 'value="keeps-this"' in html and f'value="{password}"' not in html
    assert not User.objects.filter(username="keeps-this").exists()
    assert Invite.objects.get().used_at is None


def test_a_logged_in_member_is_told_they_are_a_member(alice_client, invite_url):
    response = alice_client.get(invite_url)
    html = text(response)
    assert response.status_code == 200 and "You're already a member" in html
    assert "logged in as alice" in html and 'name="password1"' not in html
    assert join(alice_client, invite_url).status_code == 200
    assert Invite.objects.get().used_at is None


def test_hostile_form_values_are_refused_in_words(invite_url):
    visitor = Client(raise_request_exception=True)
    for value in ("", "\x00", "x" * 5_000, "' OR 1=1 --", '"><script>', "١٢"):
        form = {"username": value, "password1": value, "password2": value}
        for sent in (form, {"username": value}):
            answer = visitor.post(invite_url, sent)
            assert answer.status_code == 200 and 'class="field-errors"' in answer.content.decode()
    assert Invite.objects.get().used_at is None


def test_a_tab_that_read_the_invite_open_loses_to_the_one_that_used_it(staff):
    invite, _ = Invite.make(by=staff)
    stale = Invite.objects.get(pk=invite.pk)  # another tab, opened before the first joined
    invite.accept("first", STRONG)
    assert stale.state == "open"  # as far as it knows
    with pytest.raises(InviteGone, match="already used"):
        stale.accept("second", STRONG)
    assert list(User.objects.exclude(pk=staff.pk).values_list("username", flat=True)) == ["first"]


def test_find_reads_nothing_for_a_token_of_the_wrong_shape(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Invite.find("short") is None
        assert Invite.find("x" * 44) is None


def accept_in_two_tabs(*tabs: tuple[Invite, str]) -> list[str]:
    """Each tab posts (invite, user name) at the same moment, in its own connection."""
    barrier = threading.Barrier(len(tabs))
    outcomes: list[str] = []

    def accept(invite: Invite, name: str) -> None:
        try:
            barrier.wait(timeout=30)
            Invite.objects.get(pk=invite.pk).accept(name, STRONG)
            outcomes.append("joined")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=tab) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_name", [True, False], ids=["same name", "different names"])
def test_two_tabs_accepting_at_once_make_one_member(same_name):
    maker = User.objects.create_user("maker", is_staff=True)
    for round in range(4):
        invite, _ = Invite.make(by=maker)
        other = f"joiner{round}" if same_name else f"joiner{round}-b"
        outcomes = accept_in_two_tabs((invite, f"joiner{round}"), (invite, other))
        assert outcomes == ["InviteGone", "joined"]
        assert User.objects.filter(username__startswith=f"joiner{round}").count() == 1
        assert AuditEntry.objects.filter(kind=AuditKind.INVITE_USED).count() == round + 1


@pytest.mark.django_db(transaction=True)
def test_two_invites_taking_one_user_name_at_once_make_one_member():
    maker = User.objects.create_user("maker", is_staff=True)
    for round in range(4):
        first, _ = Invite.make(by=maker)
        second, _ = Invite.make(by=maker)
        outcomes = accept_in_two_tabs((first, f"wanted{round}"), (second, f"wanted{round}"))
        assert outcomes == ["UsernameTaken", "joined"]
        assert Invite.objects.pending().filter(pk__in=[first.pk, second.pk]).count() == 1
