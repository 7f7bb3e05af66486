"""A team that runs itself, in real browsers: staff invite a member from /team/; the member joins
from the link, makes a clip, runs out of quota and asks for approval; staff approve from the team
page; the clip is made as the member's and appears in their studio without a reload; the audit
log shows every step."""

import pytest
from playwright.sync_api import Page, expect

from tests.browsers import DESKTOP, PHONE, card_for, log_in, quick_studio, sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST = "A kite festival on a windy beach"
SECOND = "Night market lanterns swaying in the rain"
PASSWORD = "kite-festival-lanterns-42"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    yield from quick_studio(tmp_path_factory, staff=("boss",))


def generate(page: Page, prompt: str) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Generate").click()


def test_invite_join_run_out_ask_approve_and_audit(pages, studio):
    boss = log_in(pages.open(DESKTOP), studio, "boss")
    boss.goto(f"{studio.url}/team/")
    boss.get_by_label("Quota").last.fill("5")  # the invite form's, below the members' rows
    boss.get_by_role("button", name="Invite a member").click()
    link = boss.get_by_label("Invite link")
    expect(link).to_be_visible()
    invite_url = link.input_value()
    assert "/invite/" in invite_url

    # The invitee, on a phone, joins from the link and lands in the studio.
    dana = pages.open(PHONE)
    dana.goto(invite_url)
    dana.get_by_label("User name").fill("dana")
    dana.get_by_label("Password", exact=True).fill(PASSWORD)
    dana.get_by_label("Password again").fill(PASSWORD)
    dana.get_by_role("button", name="Join the studio").click()
    expect(dana).to_have_url(f"{studio.url}/")
    # The link worked once: opened again (outside any session), it says so.
    again = pages.open(DESKTOP).request.get(invite_url)
    assert again.status == 410
    assert "This invite was already used" in again.text()

    # Her first clip (5 credits) uses the whole quota; the second is refused, and she asks.
    dana.get_by_role("button", name="New clip").click()
    generate(dana, FIRST)
    expect(card_for(dana, FIRST).locator(".badge")).to_have_text("Ready", timeout=60_000)
    dana.get_by_role("button", name="New clip").click()
    generate(dana, SECOND)
    refusal = dana.locator("#errors-__all__")
    expect(refusal).to_contain_text("monthly quota has 0 left")
    dana.get_by_label("Note").fill("For the client preview on Friday")
    dana.get_by_role("button", name="Ask for approval").click()
    requests = dana.locator("#approval-requests")
    expect(requests).to_contain_text("Waiting for approval")
    expect(dana.get_by_label("Prompt", exact=True)).to_have_value(SECOND)  # nothing lost
    assert sideways_scroll(dana) == []

    # Staff see the request counted in the header, and approve it on the team page.
    boss.goto(f"{studio.url}/")
    expect(boss.locator("header")).to_contain_text("1")
    boss.goto(f"{studio.url}/team/#approvals")
    approvals = boss.locator("#approvals")
    expect(approvals).to_contain_text(SECOND)
    expect(approvals).to_contain_text("For the client preview on Friday")
    approvals.get_by_role("button", name="Approve").click()
    expect(approvals).to_contain_text("Approved by boss")

    # Dana's studio hears of it and shows the clip being made, then made, as hers.
    expect(requests).to_contain_text("Approved by boss", timeout=15_000)
    card = card_for(dana, SECOND)
    expect(card).to_be_visible(timeout=15_000)
    expect(card.locator(".badge")).to_have_text("Ready", timeout=60_000)

    # The audit log tells the whole story.
    boss.goto(f"{studio.url}/team/audit/")
    log = boss.locator("table")
    kinds = ("Invite made", "Invite used", "Approval asked for", "Clip approved",
             "Submitted past a budget")  # fmt: skip
    for kind in kinds:
        expect(log).to_contain_text(kind)
    expect(log).to_contain_text("dana")
    assert pages.take_errors() == []
