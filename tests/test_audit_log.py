"""The audit log (/team/audit/, staff only): newest first, filtered by member, kind and days, with
a CSV of exactly what the filters select; a date it can't read is answered in words. Nothing
changes or deletes an entry: not the models, not their QuerySets, not the admin."""

import csv
import io
from datetime import datetime
from html import unescape

import pytest
import time_machine
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from generations.models import AuditEntry, AuditKind, Immutable
from generations.views.audit import PAGE_SIZE


def at(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(f"{day}T12:00:00"))


@pytest.fixture
def entries(alice, bob, staff):
    made = []
    for day, kind, member, summary in [
        ("2026-03-02", AuditKind.QUOTA_CHANGED, alice, "alice's quota: 100 → 200"),
        ("2026-03-10", AuditKind.ROLE_CHANGED, bob, "bob made staff"),
        ("2026-03-20", AuditKind.DEACTIVATED, alice, "alice deactivated"),
        ("2026-04-01", AuditKind.INVITE_MADE, None, '=HYPERLINK("x") made by a member'),
    ]:
        with time_machine.travel(at(day), tick=False):
            made.append(
                AuditEntry.record(
                    kind, summary, actor=staff, member=member, before={"a": 1}, after={"a": 2}
                )
            )
    with time_machine.travel(at("2026-03-15"), tick=False):
        made.append(AuditEntry.record(AuditKind.SHARE_MADE, "bob shared a clip", actor=bob))
    return made


def summaries(response) -> list[str]:
    return [entry.summary for entry, _ in response.context["rows"]]


def test_staff_read_every_entry_newest_first(staff_client, entries):
    response = staff_client.get(reverse("team_audit"))
    assert response.status_code == 200
    assert summaries(response) == [
        '=HYPERLINK("x") made by a member',
        "alice deactivated",
        "bob shared a clip",
        "bob made staff",
        "alice's quota: 100 → 200",
    ]
    html = unescape(response.content.decode())
    assert "Download CSV" in html and '{"a": 1}' in html
    assert "Edit" not in html and "Delete" not in html


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"member": "alice"}, ["alice deactivated", "alice's quota: 100 → 200"]),
        ({"member": "bob"}, ["bob shared a clip", "bob made staff"]),  # what he did, and to him
        ({"kind": AuditKind.ROLE_CHANGED}, ["bob made staff"]),
        ({"start": "2026-03-10", "end": "2026-03-20"},
         ["alice deactivated", "bob shared a clip", "bob made staff"]),
        ({"end": "2026-03-09"}, ["alice's quota: 100 → 200"]),
        ({"member": "alice", "kind": AuditKind.DEACTIVATED, "start": "2026-03-01"},
         ["alice deactivated"]),
    ],
)  # fmt: skip
def test_the_filters_narrow_the_log(staff_client, entries, alice, bob, filters, expected):
    ids = {"alice": alice.pk, "bob": bob.pk}
    query = {**filters, **({"member": ids[filters["member"]]} if "member" in filters else {})}
    response = staff_client.get(reverse("team_audit"), query)
    assert response.status_code == 200
    assert summaries(response) == expected


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize(
    "filters", [{}, {"kind": AuditKind.QUOTA_CHANGED}, {"start": "2026-03-15"}, {"member": "x"}]
)
def test_the_csv_holds_exactly_what_the_screen_shows(staff_client, entries, alice, filters):
    query = {**filters, **({"member": alice.pk} if "member" in filters else {})}
    screen = staff_client.get(reverse("team_audit"), query)
    download = staff_client.get(reverse("team_audit_csv"), query)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    header, *rows = csv_rows(download)
    assert header == ["when", "who", "kind", "member", "summary", "before", "after"]
    shown = [cells for _, cells in screen.context["rows"]]
    unformula = [[cell.removeprefix("'") for cell in row] for row in rows]
    assert unformula == shown and len(rows) == len(shown)
    html = unescape(screen.content.decode())
    for row in shown:
        assert f'datetime="{row[0]}"' in html and row[4] in html


def test_a_cell_a_spreadsheet_would_run_is_written_as_text(staff_client, entries):
    _, *rows = csv_rows(staff_client.get(reverse("team_audit_csv")))
    assert rows[0][4] == '\'=HYPERLINK("x") made by a member'


def test_the_csv_link_carries_the_filters(staff_client, entries):
    html = staff_client.get(reverse("team_audit"), {"kind": "role"}).content.decode()
    assert f'href="{reverse("team_audit_csv")}?kind=role"' in html


@pytest.mark.parametrize(
    "filters, words",
    [
        ({"start": "2026-13-45"}, "Write the first day as a date, such as 2026-03-01."),
        ({"end": "tomorrow"}, "Write the last day as a date, such as 2026-03-31."),
        ({"start": "2026-03-20", "end": "2026-03-01"}, "The last day comes before the first day."),
        ({"kind": "everything"}, "Choose a kind from the list."),
        ({"member": "99999999999999999999"}, "Choose a member from the list."),
    ],
)
def test_bad_filters_are_answered_in_words_keeping_what_was_typed(staff_client, entries, filters, words):  # fmt: skip
    response = staff_client.get(reverse("team_audit"), filters)
    assert response.status_code == 400
    html = unescape(response.content.decode())
    assert words in html
    for name in ("start", "end"):  # a select can only show its own choices
        assert name not in filters or f'value="{filters[name]}"' in html
    assert len(response.context["rows"]) >= 1  # the other filters still apply
    refused = staff_client.get(reverse("team_audit_csv"), filters)
    assert refused.status_code == 400 and words in refused.content.decode()


def test_the_calendars_ends_are_no_500(staff_client, entries):
    for filters in ({"start": "0001-01-01", "end": "9999-12-31"}, {"end": "9999-12-31"}):
        response = staff_client.get(reverse("team_audit"), filters)
        assert response.status_code == 200 and len(response.context["rows"]) == 5


def test_the_log_is_paged(staff_client, staff):
    for n in range(PAGE_SIZE + 3):
        AuditEntry.record(AuditKind.QUOTA_CHANGED, f"change {n}", actor=staff)
    first = staff_client.get(reverse("team_audit"), {"kind": "quota"})
    assert len(first.context["rows"]) == PAGE_SIZE and "Older →" in first.content.decode()
    second = staff_client.get(reverse("team_audit"), {"kind": "quota", "page": "2"})
    assert summaries(second) == ["change 2", "change 1", "change 0"]
    assert staff_client.get(reverse("team_audit"), {"page": "x"}).status_code == 200


@pytest.mark.parametrize("persona", ["alice_client", "bob_client"])
def test_members_never_read_the_log(request, persona, entries):
    client = request.getfixturevalue(persona)
    for url in (reverse("team_audit"), reverse("team_audit_csv")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_entries_cannot_be_changed_or_deleted(entries):
    entry = AuditEntry.objects.get(pk=entries[0].pk)
    entry.summary = "nothing happened"
    with pytest.raises(Immutable):
        entry.save()
    with pytest.raises(Immutable):
        entry.delete()
    with pytest.raises(Immutable):
        AuditEntry.objects.filter(pk=entry.pk).update(summary="nothing happened")
    with pytest.raises(Immutable):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).summary == "alice's quota: 100 → 200"
    assert AuditEntry.objects.count() == 5


def test_the_admin_shows_entries_read_only(staff, staff_client, entries):
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/admin/")
    request.user = staff
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entries[0])
    assert not model_admin.has_delete_permission(request, entries[0])
    change = reverse("admin:generations_auditentry_change", args=[entries[0].pk])
    page = staff_client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    staff_client.post(change, {"summary": "nothing happened", "kind": "quota"})
    delete = reverse("admin:generations_auditentry_delete", args=[entries[0].pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:generations_auditentry_changelist")
    staff_client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [entries[0].pk], "post": "yes"},
    )
    assert AuditEntry.objects.get(pk=entries[0].pk).summary == "alice's quota: 100 → 200"
    assert AuditEntry.objects.count() == 5
