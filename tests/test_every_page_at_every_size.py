"""Every member and staff page at phone, tablet and desktop size: no sideways scroll, no serious
or critical accessibility violation (axe-core), no console error; on the studio, nothing drawn
over the gallery's cards, and on a phone the cards' controls big enough to tap."""

import uuid

import pytest

from tests.browsers import (
    DEVICES,
    PHONE,
    accessibility_violations,
    covered_cards,
    http_member,
    make_clip,
    missing_icon,
    quick_studio,
    report,
    sideways_scroll,
    small_tap_targets,
    storage_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ALICES_PROMPT = "A fox running through fresh snow, slow motion"
BOBS_PROMPTS = ["Koi fish circling in a pond, top view", "Wind turbines in the fog, aerial view"]
MEMBER_PAGES = [
    "studio",
    "studio, a search that finds nothing",
    "a clip's page",
    "prompt library",
    "a prompt's page",
    "my usage",
    "password change",
    "compare two clips",
    "the reels",
    "a reel",
]
STAFF_PAGES = ["team usage", "admin index", "admin list of generations", "the team", "audit log"]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from quick_studio(tmp_path_factory, "alice", "bob", staff=("sam",))


@pytest.fixture(scope="module")
def members(studio):
    """alice, bob and sam (staff) logged in, with three finished clips in the gallery."""
    logged_in = {name: http_member(studio, name) for name in ("alice", "bob", "sam")}
    make_clip(logged_in["alice"], ALICES_PROMPT)
    for prompt in BOBS_PROMPTS:
        make_clip(logged_in["bob"], prompt)
    rows = studio.wait_until_final(3, timeout=60)
    assert [status for _, status, _ in rows] == ["completed"] * 3, rows
    assert studio.wait_for_posters() == 0
    yield {name: storage_state(client) for name, client in logged_in.items()}
    for client in logged_in.values():
        client.close()


@pytest.fixture(scope="module")
def addresses(studio, members):
    ((clip_id, prompt_id),) = studio.query(
        "select g.id, g.prompt_id from generations_generation g join generations_prompt p "
        f"on p.id = g.prompt_id where p.text = '{ALICES_PROMPT}'"
    )
    clip = uuid.UUID(str(clip_id))  # SQLite keeps it as 32 hex digits, PostgreSQL as a uuid
    ((bobs_id,),) = studio.query(
        "select g.id from generations_generation g join generations_prompt p "
        f"on p.id = g.prompt_id where p.text = '{BOBS_PROMPTS[0]}'"
    )
    reel_id = (
        studio.shell(
            "from django.contrib.auth.models import User\n"
            "from generations.models import Generation, Reel\n"
            "alice = User.objects.get(username='alice')\n"
            "reel = Reel.make(name='Snow and koi', by=alice)\n"
            "reel.add([g.pk for g in Generation.objects.order_by('created_at')], by=alice)\n"
            "print(f'reel={reel.pk}')"
        )
        .rsplit("reel=", 1)[-1]
        .strip()
    )  # after what Django's shell prints first
    return {
        "studio": "/",
        "studio, a search that finds nothing": "/?q=nothing+is+called+this",
        "a clip's page": f"/generations/{clip}/",
        "prompt library": "/prompts/",
        "a prompt's page": f"/prompts/{prompt_id}/",
        "my usage": "/account/",
        "password change": "/accounts/password_change/",
        "compare two clips": f"/compare/?clip={clip}&clip={uuid.UUID(str(bobs_id))}",
        "the reels": "/reels/",
        "a reel": f"/reels/{reel_id}/",
        "team usage": "/admin/usage/",
        "admin index": "/admin/",
        "admin list of generations": "/admin/generations/generation/",
        "the team": "/team/",
        "audit log": "/team/audit/",
    }


def problems_on(page, pages) -> list[str]:
    """What is wrong with the page as shown: sideways scroll, axe's blocking violations, errors."""
    blocking, rest = accessibility_violations(page)
    print(f"{page.url}: axe's other violations: {rest}")
    return sideways_scroll(page) + blocking + missing_icon(page) + pages.take_errors()


@pytest.mark.parametrize("device", DEVICES, ids=str)
@pytest.mark.parametrize("name", MEMBER_PAGES)
def test_a_members_page_holds(name, device, pages, studio, members, addresses):
    page = pages.open(device, storage_state=members["alice"])
    page.goto(studio.url + addresses[name], wait_until="load")
    problems = problems_on(page, pages)
    assert not problems, report(f"{name} ({addresses[name]}) on a {device}", problems)


@pytest.mark.parametrize("device", DEVICES, ids=str)
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_a_staff_page_holds(name, device, pages, studio, members, addresses):
    page = pages.open(device, storage_state=members["sam"])
    page.goto(studio.url + addresses[name], wait_until="load")
    problems = problems_on(page, pages)
    assert not problems, report(f"{name} ({addresses[name]}) on a {device}", problems)


@pytest.mark.parametrize("name", ["studio", "a clip's page", "prompt library", "my usage"])
def test_a_members_page_holds_in_the_dark_theme_on_a_phone(name, pages, studio, members, addresses):
    # The system's dark theme (the studio follows it unless told otherwise): contrast again.
    page = pages.open(PHONE, storage_state=members["alice"], color_scheme="dark")
    page.goto(studio.url + addresses[name], wait_until="load")
    problems = problems_on(page, pages)
    assert not problems, report(f"{name} ({addresses[name]}) on a phone, dark", problems)


@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_the_login_page_holds(device, pages, studio):
    page = pages.open(device)
    page.goto(studio.url + "/accounts/login/", wait_until="load")
    problems = problems_on(page, pages)
    assert not problems, report(f"the login page on a {device}", problems)


@pytest.mark.parametrize("device", DEVICES, ids=str)
def test_nothing_is_drawn_over_the_gallerys_cards(device, pages, studio, members):
    page = pages.open(device, storage_state=members["alice"])
    page.goto(studio.url + "/", wait_until="load")
    assert page.locator("article.card").count() >= 3
    problems = covered_cards(page)
    assert not problems, report(f"the studio on a {device}", problems)


def test_a_cards_controls_are_big_enough_to_tap_on_a_phone(pages, studio, members):
    page = pages.open(PHONE, storage_state=members["alice"])
    page.goto(studio.url + "/", wait_until="load")
    assert page.locator("article.card").count() >= 3
    problems = small_tap_targets(page)
    assert not problems, report(
        "the studio's cards on a phone, controls under 44x44 px", sorted(set(problems))
    )
