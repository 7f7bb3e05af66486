"""A password-reset link staff make on the team page (the studio has no mail): Django's own token
and page, shown once in the POST's answer, never stored or logged, audited; it works once, for
24 hours, and the member is then logged in with the new password."""

import logging
import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from generations.models import AuditEntry, AuditKind
from tests.fixtures import PASSWORD

NEW_PASSWORD = "a kettle on a cold morning"


def text(response) -> str:
    return unescape(response.content.decode())


def make_link(staff_client: Client, member, **headers) -> str:
    response = staff_client.post(reverse("team_reset_link", args=[member.pk]), **headers)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    (url,) = set(re.findall(r'value="http://testserver(/accounts/reset/[^"]+)"', text(response)))
    return url


def set_password(visitor: Client, link: str, password=NEW_PASSWORD, again=None):
    opened = visitor.get(link)
    assert opened.status_code == 302  # Django moves the token out of the address
    form = visitor.get(opened["Location"])
    assert "Choose a new password" in text(form)
    return visitor.post(
        opened["Location"], {"new_password1": password, "new_password2": again or password}
    )


def test_the_reset_timeout_is_a_day():
    assert settings.PASSWORD_RESET_TIMEOUT == 24 * 60 * 60


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_staff_get_the_link_once_and_it_is_audited(staff, staff_client, alice, htmx):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    link = make_link(staff_client, alice, **headers)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in text(staff_client.get(reverse("team")))  # shown once only
    entry = AuditEntry.objects.get(kind=AuditKind.RESET_LINK)
    assert (entry.actor, entry.member) == (staff, alice)
    assert token not in f"{entry.summary}{entry.before}{entry.after}"
    assert entry.after["expires_at"]


def test_the_member_sets_a_new_password_and_is_logged_in(staff_client, alice):
    link = make_link(staff_client, alice)
    visitor = Client()
    response = set_password(visitor, link)
    assert response.status_code == 302 and response["Location"] == reverse("studio")
    studio = visitor.get(reverse("studio"))
    assert studio.status_code == 200 and "Your new password is set" in text(studio)
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_the_link_works_once(staff_client, alice):
    link = make_link(staff_client, alice)
    set_password(Client(), link)
    again = Client().get(link)
    assert again.status_code == 404
    assert "This password-reset link doesn't work" in text(again)
    assert 'name="new_password1"' not in text(again)


def test_the_link_stops_working_once_the_member_logs_in(staff_client, alice):
    link = make_link(staff_client, alice)
    assert Client().login(username="alice", password=PASSWORD)  # remembered it after all
    assert Client().get(link).status_code == 404


def test_the_link_expires_after_24_hours(staff_client, alice):
    link = make_link(staff_client, alice)
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=50)):
        assert Client().get(link).status_code == 302
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        assert Client().get(link).status_code == 404
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_weak_password_is_refused_in_words_under_it(staff_client, alice):
    link = make_link(staff_client, alice)
    response = set_password(Client(), link, password="1234")
    html = text(response)
    assert response.status_code == 200
    error = html[html.index('id="id_new_password1_error"') :]
    assert "This password is too short" in error[: error.index("</div>")]
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_a_deactivated_member_gets_no_link_and_an_earlier_one_stops(staff, staff_client, alice):
    from generations.models.team import set_active

    link = make_link(staff_client, alice)
    set_active(alice, active=False, by=staff)
    assert Client().get(link).status_code == 404
    refused = staff_client.post(reverse("team_reset_link", args=[alice.pk]), HTTP_HX_REQUEST="1")
    assert "alice is deactivated: reactivate them first" in text(refused)
    assert AuditEntry.objects.filter(kind=AuditKind.RESET_LINK).count() == 1


def test_members_cannot_make_a_link(bob_client, alice):
    response = bob_client.post(reverse("team_reset_link", args=[alice.pk]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not AuditEntry.objects.exists()


def test_the_token_is_never_logged(staff_client, alice, caplog):
    with caplog.at_level(logging.DEBUG):
        link = make_link(staff_client, alice)
        set_password(Client(), link)
        Client().get(link)  # used: a 404, which Django would log with its path
        Client().get(link.replace(link.rstrip("/").rsplit("/", 1)[1], "x" * 39))
    token = link.rstrip("/").rsplit("/", 1)[1]
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert token not in logged and "x" * 39 not in logged
