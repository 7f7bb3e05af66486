"""Last seen: a member's requests note when they were last in the studio, at most once a minute,
with one conditional UPDATE; within the minute a request writes nothing and reads nothing more
(the time of the last write rides in the session, which is read anyway). Logging in counts."""

from datetime import timedelta

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations.models import MemberProfile
from tests.fixtures import PASSWORD, logged_in


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]


def seen(member):
    return (
        MemberProfile.objects.filter(member=member).values_list("last_seen_at", flat=True).first()
    )


def test_logging_in_notes_the_member_as_seen(alice):
    before = timezone.now()
    assert Client().login(username="alice", password=PASSWORD)
    assert seen(alice) >= before


def test_a_request_past_the_minute_writes_once_and_the_next_writes_nothing(alice):
    client = logged_in(alice)
    first_seen = seen(alice)
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        with CaptureQueriesContext(connection) as past_the_minute:
            assert client.get(reverse("account")).status_code == 200
        profile_writes = [sql for sql in writes(past_the_minute) if "memberprofile" in sql]
        assert len(profile_writes) == 1 and "UPDATE" in profile_writes[0]
        assert seen(alice) == later and seen(alice) > first_seen
    with time_machine.travel(later + timedelta(seconds=30), tick=False):
        with CaptureQueriesContext(connection) as within_the_minute:
            assert client.get(reverse("account")).status_code == 200
        assert writes(within_the_minute) == []
        assert not [q for q in within_the_minute if "memberprofile" in q["sql"]]
        assert seen(alice) == later


def test_another_tab_or_worker_within_the_minute_changes_nothing(alice):
    """A request whose session has no note (another browser, say) finds the profile fresh: the
    conditional UPDATE changes no row; past the minute it does."""
    logged_in(alice)
    noted = seen(alice)
    with time_machine.travel(noted + timedelta(seconds=50), tick=False):
        MemberProfile.note_seen(alice)
    assert seen(alice) == noted
    with time_machine.travel(noted + timedelta(seconds=61), tick=False):
        MemberProfile.note_seen(alice)
    assert seen(alice) == noted + timedelta(seconds=61)


def test_visitors_not_logged_in_write_nothing(db):
    with CaptureQueriesContext(connection) as queries:
        Client().get(reverse("login"))
    assert writes(queries) == [] and not MemberProfile.objects.exists()


def test_the_team_page_shows_how_long_ago(alice, staff_client):
    logged_in(alice)
    with time_machine.travel(timezone.now() + timedelta(minutes=3, seconds=5)):
        html = staff_client.get(reverse("team")).content.decode()
    start = html.index(f'id="member-{alice.pk}"')
    assert "3 minutes ago" in html[start : html.index("</tbody>", start)]
