"""Hostile input never takes the studio down: every page the URL resolver knows, every query
parameter and form field its view reads, a table of malformed values, as a member and as staff,
GET and POST. A page answers 400, or ignores what it can't read; never a 5xx.

Each request runs in a savepoint that is rolled back, so one hostile request (a delete, a logout)
can't change what the next one sees.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import quote_plus

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django_q.models import Schedule

from generations.models import ApprovalRequest, Board, Budget, ShareLink, Status
from generations.models.reels import Reel
from tests.url_walk import Page, every_page


@dataclass(frozen=True)
class Raw:
    """Sent as written, already percent-encoded: for bytes that are not UTF-8."""

    text: str


Value = str | Raw | list[str]

# The values, by what they try. A list is one parameter given several times.
HOSTILE: dict[str, Value] = {
    "empty": "",
    "very long": "x" * 5_000,
    "NUL": "\x00",
    "NUL inside": "1\x00a",
    "not UTF-8": Raw("%ff%fe%ED%A0%80"),
    "huge number": "9" * 400,
    "past 64 bits": "99999999999999999999",
    "negative": "-1",
    "huge negative": "-99999999999999999999",
    "1e999": "1e999",
    "NaN": "NaN",
    "bad date": "9999-99-99",
    "13th month": "2020-13-45",
    "13th month, with time": "2020-13-45T00:00:00",
    "last day there is": "9999-12-31",
    "first day there is": "0001-01-01",
    "offset +99:00": "2020-01-01T00:00:00+99:00",
    "a moment past 9999 in UTC": "9999-12-31T23:59:59-05:00",
    "not a uuid": "notauuid",
    "cursor, not a uuid": "2020-01-01T00:00:00_notauuid",
    "cursor, bad date": "9999-99-99T00:00:00_x",
    "SQL": "' OR 1=1 --",
    "HTML": '"><script>alert(1)</script>',
    "other digits": "١٢",
    "repeated": ["1", "notauuid", "2020-13-45"],
}

GALLERY_FILTERS = ("who", "member", "status", "resolution", "q", "starred", "board", "start", "end")
# The generation form, filled in so that one hostile field at a time gets past the others.
GENERATION_FORM = {
    "prompt": "A lighthouse in a storm",
    "resolution": "768p",
    "duration": "6",
    "prompt_optimizer": "on",
    "image_url": "",
    "reuse_image_of": "",
    "over_budget": "",
    "takes": "1",
}
LOGIN_FORM = {"username": "alice", "password": "not the password", "next": "/"}
BOARD_FORM = {"name": "A board", "description": ""}
RANGE = {"period": "range", "start": "2026-01-01", "end": "2026-01-31"}
AUDIT_FILTERS = ("member", "kind", "start", "end", "page")


@dataclass(frozen=True)
class Reads:
    """What a view reads: query parameters, and form fields (each with a value it accepts)."""

    get: tuple[str, ...] = ()
    post: dict[str, str] = field(default_factory=dict)
    htmx: bool = False  # sent as htmx asks, the way that reads the parameters
    # Parsed by the studio's own code where another hostile value could turn the request away
    # first: also sent one at a time, the others as in `post` or `baseline`.
    alone: tuple[str, ...] = ()
    baseline: dict[str, str] = field(default_factory=dict)


def fields(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, "")


# By URL name, read from the views and forms (generations/views/, generations/forms.py, the
# ModelAdmins in generations/admin.py and the admin's own views). Admin pages not listed here get
# ADMIN_PAGES by their kind; any other page gets UNLISTED.
READS: dict[str, Reads] = {
    "studio": Reads(get=("prompt", "remix", *GALLERY_FILTERS), alone=("prompt", "remix", "q")),
    "gallery": Reads(get=("before", *GALLERY_FILTERS), htmx=True, alone=("before", "q")),
    "gallery_updates": Reads(get=("since", *GALLERY_FILTERS), htmx=True, alone=("since", "q")),
    "generation_create": Reads(
        post=GENERATION_FORM, htmx=True, alone=("prompt", "image_url", "reuse_image_of", "takes")
    ),
    "generation_detail": Reads(get=("part",), htmx=True),
    "generation_remix": Reads(htmx=True),
    "generation_retry": Reads(htmx=True),
    "generation_delete": Reads(htmx=True),
    "generation_download": Reads(),
    "generation_star": Reads(post={"starred": "1"}, htmx=True, alone=("starred",)),
    "selection_star": Reads(post=fields("ids"), htmx=True, alone=("ids",)),
    "selection_delete": Reads(post=fields("ids"), htmx=True, alone=("ids",)),
    "compare": Reads(get=("clip", "batch"), alone=("clip", "batch")),
    "boards": Reads(),
    "board_create": Reads(post=BOARD_FORM, alone=("name", "description")),
    "board_picker": Reads(get=("ids",), htmx=True, alone=("ids",)),
    "board_add": Reads(
        post={"ids": "", "board": "", "new_board": "New"}, htmx=True, alone=("board", "new_board")
    ),
    "board_detail": Reads(get=("page",), alone=("page",)),
    "board_edit": Reads(post=BOARD_FORM, alone=("name", "description")),
    "board_order": Reads(post={"order": "manual"}, alone=("order",)),
    "board_arrange": Reads(post={"ids": "", "page": "1"}, htmx=True, alone=("ids", "page")),
    "board_move": Reads(
        post={"generation": "", "direction": "up", "page": "1"},
        htmx=True,
        alone=("generation", "direction", "page"),
    ),
    "board_remove": Reads(post=fields("generation"), htmx=True, alone=("generation",)),
    "board_delete": Reads(htmx=True),
    "download_selected": Reads(get=("ids",), post=fields("ids"), htmx=True, alone=("ids",)),
    "board_download": Reads(),
    "reels": Reads(),
    "reel_create": Reads(post={"name": "A reel"}, alone=("name",)),
    "reel_picker": Reads(get=("ids",), htmx=True, alone=("ids",)),
    "reel_add": Reads(
        post={"ids": "", "reel": "", "new_reel": "New"}, htmx=True, alone=("reel", "new_reel")
    ),
    "reel_detail": Reads(),
    "reel_making": Reads(htmx=True),
    "reel_make": Reads(htmx=True),
    "reel_move": Reads(
        post={"shot": "", "direction": "up"}, htmx=True, alone=("shot", "direction")
    ),
    "reel_arrange": Reads(post=fields("ids"), htmx=True, alone=("ids",)),
    "reel_remove": Reads(post=fields("shot"), htmx=True, alone=("shot",)),
    "reel_delete": Reads(htmx=True),
    "reel_video": Reads(),
    "reel_download": Reads(),
    "generation_share": Reads(
        post={"expires": "30", "allow_download": "on"}, htmx=True, alone=("expires",)
    ),
    "board_share": Reads(post={"expires": "30", "allow_download": "on"}, alone=("expires",)),
    "share_revoke": Reads(post=fields("next", "list"), htmx=True, alone=("next",)),
    "share_review": Reads(get=("page",)),
    "share_page": Reads(),
    "share_download": Reads(),
    "share_video": Reads(),
    "share_poster": Reads(),
    "share_clip_download": Reads(),
    "approval_ask": Reads(
        post={**GENERATION_FORM, "note": ""}, htmx=True, alone=("prompt", "takes", "note")
    ),
    "approval_approve": Reads(post=fields("past_team_budget"), htmx=True),
    "approval_decline": Reads(post={"reason": "Not now"}, htmx=True, alone=("reason",)),
    "account": Reads(),
    "prompt_library": Reads(get=("q", "page"), htmx=True),
    "prompt_detail": Reads(),
    "media": Reads(),
    "apiframe_webhook": Reads(post=fields("event", "jobId", "status")),
    "login": Reads(get=("next",), post=LOGIN_FORM, alone=("username",)),
    "logout": Reads(post=fields("next")),
    "password_change": Reads(post=fields("old_password", "new_password1", "new_password2")),
    "password_change_done": Reads(),
    "usage_review": Reads(get=tuple(RANGE), alone=("start", "end"), baseline=RANGE),
    "usage_csv": Reads(get=tuple(RANGE)),
    "usage_check_ledger": Reads(post=RANGE, alone=("start", "end")),
    "team": Reads(),
    "team_member_quota": Reads(post={"quota": "5"}, htmx=True, alone=("quota",)),
    "team_member_role": Reads(post={"role": "staff"}, htmx=True, alone=("role",)),
    "team_member_active": Reads(post={"active": "1"}, htmx=True, alone=("active",)),
    "team_reset_link": Reads(htmx=True),
    "team_invite": Reads(post={"as_staff": "", "quota": ""}, htmx=True, alone=("quota",)),
    "team_invite_revoke": Reads(htmx=True),
    "team_audit": Reads(get=AUDIT_FILTERS, alone=AUDIT_FILTERS),
    "team_audit_csv": Reads(get=AUDIT_FILTERS, alone=AUDIT_FILTERS),
    "invite": Reads(post=fields("username", "password1", "password2")),
    "password_reset_confirm": Reads(post=fields("new_password1", "new_password2")),
    "admin:login": Reads(
        get=("next",), post={**LOGIN_FORM, "this_is_the_login_form": "1", "next": "/admin/"}
    ),
    "admin:logout": Reads(post=fields("next")),
    "admin:password_change": Reads(post=fields("old_password", "new_password1", "new_password2")),
    "admin:autocomplete": Reads(get=("term", "app_label", "model_name", "field_name", "page")),
    "admin:jsi18n": Reads(),
    "admin:index": Reads(),
    "admin:app_list": Reads(),
}
UNLISTED = Reads(get=("q", "page", "next", "id"), post=fields("q", "next", "id"))

# The admin's own parameters, by kind of page; then each model's filters and form fields.
ADMIN_PAGES = {
    "changelist": Reads(
        get=("q", "o", "p", "e", "all", "_to_field", "_popup", "_changelist_filters"),
        post=fields("action", "_selected_action", "select_across", "index", "q"),
    ),
    "add": Reads(get=("_changelist_filters", "_to_field", "_popup"), post=fields("_popup")),
    "change": Reads(
        get=("_changelist_filters", "_to_field", "_popup"), post=fields("_continue", "_popup")
    ),
    "delete": Reads(get=("_to_field", "_popup"), post=fields("post", "_popup")),
    "history": Reads(get=("p",)),
    "password_change": Reads(post=fields("usable_password", "password1", "password2")),
}
ADMIN_FILTERS = {
    "generations_generation": (
        "status__exact", "resolution__exact", "duration__exact", "prompt_optimizer__exact",
        "over_budget__exact", "owner__id__exact", "created_at__gte", "created_at__lt",
        "created_at__year", "created_at__month", "created_at__day",
    ),
    "generations_prompt": (
        "created_at__gte", "created_at__lt", "last_used_at__gte", "last_used_at__lt",
    ),
    "auth_user": ("is_active__exact", "is_staff__exact", "is_superuser__exact"),
    "django_q_schedule": ("next_run__gte", "next_run__lt", "schedule_type__exact", "cluster"),
}  # fmt: skip
ADMIN_FIELDS = {
    "generations_generation": (
        "owner", "prompt", "status", "failure_reason", "resolution", "duration",
        "prompt_optimizer", "first_frame_url", "retry_of",
    ),
    "generations_prompt": ("text", "created_by", "use_count", "last_used_at_0", "last_used_at_1"),
    "generations_budget": (
        "team_monthly_credits", "member_monthly_credits", "max_running_per_member",
        "price_768p_6s", "price_768p_10s", "price_1080p_6s",
    ),
    "auth_user": (
        "username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser",
        "groups", "user_permissions", "last_login_0", "last_login_1", "date_joined_0",
        "date_joined_1", "usable_password", "password1", "password2", "monthly_quota",
    ),
    "auth_group": ("name", "permissions"),
    "django_q_schedule": (
        "name", "func", "hook", "args", "kwargs", "schedule_type", "minutes", "repeats",
        "next_run_0", "next_run_1", "cron", "cluster", "intended_date_kwarg",
    ),
}  # fmt: skip


def reads(page: Page) -> Reads:
    if page.name in READS:
        return READS[page.name]
    model, _, kind = page.name.removeprefix("admin:").rpartition("_")
    if page.name.startswith("admin:") and kind in ADMIN_PAGES:
        general = ADMIN_PAGES[kind]
        filters = ADMIN_FILTERS.get(model, ()) if kind == "changelist" else ()
        form = ADMIN_FIELDS.get(model, ()) if kind in ("add", "change", "password_change") else ()
        # The add page takes a field's first value from the query too.
        initial = form if kind == "add" else ()
        return Reads(get=(*general.get, *filters, *initial), post={**general.post, **fields(*form)})
    return UNLISTED


# ---------------------------------------------------------------------------------------------


@pytest.fixture
def quiet():
    """No warning per refused request (thousands); a 5xx is collected by the test instead."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def studio(alice, staff, make_generation, quiet) -> list[Page]:
    """Every page, its ids those of a real clip, prompt and admin object of each kind."""
    clip = make_generation(alice, status=Status.FAILED, failure_reason="Outage.")
    fox = make_generation(alice, "A fox in the snow", status="completed")
    schedule = Schedule.objects.create(func="math.floor", name="nightly")
    group = Group.objects.create(name="editors")
    ids = {
        "generations/generation": clip.pk,
        "generations/prompt": clip.prompt_id,
        "generations/budget": Budget.current().pk,
        "auth/user": alice.pk,
        "auth/group": group.pk,
        "django_q/schedule": schedule.pk,
    }
    pages = []
    board = Board.make(name="Hostile board", by=alice)  # the board pages reach a real one
    board.add([clip.pk], by=alice)
    reel = Reel.make(name="Hostile reel", by=alice)  # the reel pages reach a real one
    reel.add([fox.pk], by=alice)
    share = ShareLink.make(by=alice, generation=fox, expiry_days=0, allow_download=True)
    # The approval pages reach a pending request (each hostile decision is rolled back).
    approval = ApprovalRequest.objects.create(
        member=alice, refusal="Out of quota.", prompt_text="A kite", resolution="768p", duration=6
    )
    for page in every_page(clip):
        url = page.url.replace(f"/boards/{clip.prompt_id}/", f"/boards/{board.pk}/")
        url = url.replace(f"/approvals/{clip.prompt_id}/", f"/approvals/{approval.pk}/")
        url = url.replace(f"/reels/{clip.prompt_id}/", f"/reels/{reel.pk}/")
        url = url.replace("/s/set-password/", f"/s/{share.token}/")  # the share pages reach one
        for model, pk in ids.items():
            url = url.replace(f"/admin/{model}/1/", f"/admin/{model}/{pk}/")
        pages.append(Page(page.name, url, page.staff_only))
    return pages


def encode(pairs: list[tuple[str, Value]]) -> str:
    parts = []
    for name, value in pairs:
        for one in value if isinstance(value, list) else [value]:
            text = one.text if isinstance(one, Raw) else quote_plus(one)
            parts.append(f"{quote_plus(name)}={text}")
    return "&".join(parts)


class Visitor:
    """A persona's browser that sends hostile requests and notes every 5xx."""

    def __init__(self, user) -> None:
        self.client = Client(raise_request_exception=False)
        self.client.force_login(user)
        self.session = self.client.cookies[settings.SESSION_COOKIE_NAME].value
        self.failures: list[str] = []
        self.sent = 0

    def send(self, method: str, url: str, query: str = "", body=None, htmx=False, **extra):
        # The session is restored each time: a rolled-back logout or login must not stick.
        self.client.cookies = SimpleCookie({settings.SESSION_COOKIE_NAME: self.session})
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        target = f"{url}?{query}" if query else url
        with transaction.atomic():
            if method == "GET":
                response = self.client.get(target, **headers, **extra)
            elif body is None:
                response = self.client.post(
                    url, query, content_type="application/x-www-form-urlencoded", **headers
                )
            else:
                response = self.client.post(url, body, **headers)
            transaction.set_rollback(True)
        self.sent += 1
        if response.status_code >= 500:
            error = response.exc_info[1] if response.exc_info else None
            self._failed(method, target, response.status_code, error)
        return response

    def _failed(self, method: str, target: str, status: int, error) -> None:
        self.failures.append(f"{status} {method} {target[:300]!r}: {error!r}")

    def assert_no_failures(self) -> None:
        shown = "\n".join(self.failures[:30])
        assert not self.failures, f"{len(self.failures)} of {self.sent} answered 5xx:\n{shown}"


# The admin's pages get shorter tables (its forms are slow to draw, and all its pages share one
# code): the studio's ModelAdmins every kind of value, Django's and django-q2's own a sample.
ADMIN_VALUES = (
    "empty", "NUL inside", "not UTF-8", "huge number", "past 64 bits", "negative", "1e999",
    "NaN", "13th month, with time", "offset +99:00", "a moment past 9999 in UTC", "not a uuid",
    "SQL", "repeated",
)  # fmt: skip
THIRD_PARTY_ADMIN = ("admin:auth_group_", "admin:django_q_")
THIRD_PARTY_VALUES = ("NUL inside", "not UTF-8", "huge number", "13th month, with time", "SQL")


def values_for(page: Page) -> list[Value]:
    if page.name.startswith(THIRD_PARTY_ADMIN):
        return [HOSTILE[name] for name in THIRD_PARTY_VALUES]
    if page.name.startswith("admin:"):
        return [HOSTILE[name] for name in ADMIN_VALUES]
    return list(HOSTILE.values())


def rows(names: list[str], values: list[Value]) -> list[list[tuple[str, Value]]]:
    """Every parameter at once, each with a different hostile value, turned so each name meets
    every value once (a Latin square): as many requests as values, however many names."""
    return [
        [(name, values[(column + row) % len(values)]) for column, name in enumerate(names)]
        for row in range(len(values))
    ]


def plan(page: Page, user, method: str) -> list[list[tuple[str, Value]]]:
    """The requests for one page: the Latin square over what its view reads; a request or two
    where the view reads nothing, or refuses this persona before reading anything."""
    read = reads(page)
    names = list(read.get if method == "GET" else read.post)
    values = values_for(page)
    reachable = user.is_staff or not page.staff_only or page.name == "admin:login"
    if not reachable:
        return rows([*names, "unexpected"], values)[:1]
    if not names:
        return rows(["unexpected"], values)[:2]
    return rows(names, values)


def one_at_a_time(baseline: dict[str, str], names) -> list[list[tuple[str, Value]]]:
    """Each name with each hostile value, the others as given in `baseline` (or absent): what a
    value meets when no other hostile value has already turned the request away."""
    return [
        [*((n, v) for n, v in baseline.items() if n != name), (name, value)]
        for name in names
        for value in HOSTILE.values()
    ]


def test_the_table_names_pages_the_studio_has(studio):
    names = {page.name for page in studio}
    assert set(READS) <= names, set(READS) - names
    assert len(studio) > 60, "the walk missed most of the project's URLs"


@pytest.mark.parametrize("persona", ["alice", "staff"])
@pytest.mark.parametrize("method", ["GET", "POST"], ids=["no query parameter", "no form field"])
def test_no_hostile_value_takes_a_page_down(request, studio, persona, method):
    user = request.getfixturevalue(persona)
    visitor = Visitor(user)
    for page in studio:
        for pairs in plan(page, user, method):
            visitor.send(method, page.url, encode(pairs), htmx=reads(page).htmx)
    visitor.assert_no_failures()


def test_no_single_hostile_parameter_takes_the_studios_own_pages_down(alice, staff, studio):
    """As the persona each page is for: a member on the studio's pages, staff on the usage ones."""
    visitors = {False: Visitor(alice), True: Visitor(staff)}
    for page in studio:
        visitor, read = visitors[page.staff_only], reads(page)
        for name in read.alone:
            method, baseline = ("GET", read.baseline) if name in read.get else ("POST", read.post)
            for pairs in one_at_a_time(baseline, [name]):
                visitor.send(method, page.url, encode(pairs), htmx=read.htmx)
    for visitor in visitors.values():
        visitor.assert_no_failures()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_no_hostile_first_frame_file_takes_the_generation_form_down(
    alice, studio, make_image, htmx
):
    visitor = Visitor(alice)
    contents = {
        "empty": b"",
        "not an image": b"<?php echo 1; ?>",
        "a PNG's start only": make_image()[:40],
        "a GIF": make_image(image_format="GIF"),
        "a picture 20,000 pixels wide": make_image(size=(20_000, 2)),
    }
    names = ["\x00.png", "../../etc/passwd", "x" * 1_000 + ".png", "shell.php.png", "é.png"]
    for name in names:
        for content in contents.values():
            image = SimpleUploadedFile(name, content, content_type="image/png")
            visitor.send(
                "POST", "/generations/", body={**GENERATION_FORM, "image": image}, htmx=htmx
            )
    visitor.assert_no_failures()


@pytest.mark.parametrize(
    "path",
    [
        "posters/%00", "posters/a%00.jpg", "%ff%fe", "posters/%ff.jpg", "clips/" + "a" * 5_000,
        "clips/../../etc/passwd", "clips/%2e%2e/%2e%2e/etc/passwd", "clips//", "clips/.",
        "first-frames/\\..\\x",
    ],
)  # fmt: skip
def test_no_hostile_media_path_takes_the_media_view_down(alice, studio, path):
    visitor = Visitor(alice)
    visitor.send("GET", f"/media/{path}")
    visitor.send("GET", f"/media/{path}", HTTP_RANGE="bytes=99999999999999999999-")
    visitor.assert_no_failures()


# The malformed addresses that answered 500 before, each as a member meets it.


def test_a_remix_link_with_a_broken_id_opens_an_empty_form(alice_client):
    response = alice_client.get("/?remix=notauuid")
    assert response.status_code == 200
    assert response.context["form"].initial == {}


@pytest.mark.parametrize(
    "cursor",
    [
        "2020-01-01T00:00:00_notauuid",
        "9999-99-99T00:00:00_x",
        "2020-01-01T00:00:00+99:00_00000000-0000-4000-8000-000000000000",
        "0001-01-01T00:00:00+01:00_00000000-0000-4000-8000-000000000000",
    ],
)
def test_load_more_with_a_broken_cursor_shows_the_first_page(
    alice, alice_client, make_generation, cursor
):
    clip = make_generation(alice)
    response = alice_client.get("/gallery/", {"before": cursor}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [card.pk for card in response.context["generations"]] == [clip.pk]


@pytest.mark.parametrize(
    "since", ["2020-13-45T00:00:00", "2020-01-01T00:00:00+99:00", "9999-12-31T23:59:59-05:00"]
)
def test_live_updates_with_a_broken_since_look_back_a_moment(alice_client, since):
    response = alice_client.get("/gallery/updates/", {"since": since})
    assert response.status_code == 204  # nothing changed in the last few seconds


@pytest.mark.parametrize(
    "start, end, zone",
    [
        ("9999-12-01", "9999-12-31", "UTC"),  # the day after the last day does not exist
        ("0001-01-01", "0001-01-31", "Asia/Tokyo"),  # its first morning is before year 1 in UTC
        ("2020-13-45", "2020-12-31", "UTC"),
        ("9999-99-99", "2020-12-31", "UTC"),
    ],
)
def test_the_usage_picker_says_what_is_wrong_with_a_range_off_the_calendar(
    staff_client, settings, start, end, zone
):
    settings.TIME_ZONE = zone
    response = staff_client.get("/admin/usage/", {"period": "range", "start": start, "end": end})
    assert response.status_code == 200
    assert response.context["period_error"]
    assert response.context["period"].kind == "month"
