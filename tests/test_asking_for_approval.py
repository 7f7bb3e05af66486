"""A member whose clip the quota or the team budget refuses can ask staff to approve it, beside the
refusal: the request keeps the whole form (prompt, settings, takes, the image as a file, a web
address or a clip's reused), one per form however often it is asked, and the audit log says so.
A clip refused for the in-flight limit is not offered it: that refusal resolves itself."""

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from generations.models import (
    ApprovalRequest,
    ApprovalState,
    AuditEntry,
    AuditKind,
    Budget,
    Generation,
)
from tests.approval_steps import (
    PROMPT,
    ask,
    buttons,
    elements,
    generate,
    image_file,
    out_of_quota,
)
from tests.fixtures import picture


@pytest.fixture
def budget_of(db):
    """Set the team's rules: budget_of(team=credits, running=clips at once)."""

    def set_rules(team: int | None = None, running: int = 3) -> Budget:
        budget = Budget.current()
        budget.team_monthly_credits = team
        budget.max_running_per_member = running
        budget.save()
        return budget

    return set_rules


def test_a_quota_refusal_offers_ask_for_approval_as_a_second_button_of_the_form(
    alice, alice_client
):
    out_of_quota(alice)
    response = generate(alice_client)
    page = elements(response)
    assert "your monthly quota has 0 left (of 0)" in page.text("errors-__all__")
    assert "Ask for approval" in page.text("ask-approval")
    assert "Note" in page.text("ask-approval") and "id_note" in page.attributes
    # The button is one of the studio form's own (in its error box), so the whole form goes:
    # the chosen image file too; htmx and a browser without JS both post it to the ask view.
    (button,) = [attrs for attrs in buttons(response) if "formaction" in attrs]
    assert button["formaction"] == button["hx-post"] == reverse("approval_ask")
    assert button["type"] == "submit"
    assert not ApprovalRequest.objects.exists()


def test_a_team_budget_refusal_offers_it_too(alice_client, budget_of):
    budget_of(team=0)
    response = generate(alice_client)
    assert "the team&#x27;s monthly budget has 0 left" in response.content.decode()
    assert "Ask for approval" in elements(response).text("ask-approval")


def test_a_refusal_for_the_in_flight_limit_offers_nothing(alice, alice_client, budget_of):
    budget_of(running=1)
    Generation.start(owner=alice, prompt_text="Already running")
    response = generate(alice_client)
    assert "clips being made, the most one person can have" in response.content.decode()
    assert "Ask for approval" not in response.content.decode()
    refused = ask(alice_client)  # asked all the same (an old page, a script)
    assert "Submit this one when one of them is ready." in elements(refused).text("errors-__all__")
    assert not ApprovalRequest.objects.exists()


def test_an_accepted_clip_offers_nothing(alice_client):
    response = generate(alice_client)
    assert response.status_code == 200 and "Ask for approval" not in response.content.decode()


def test_the_request_keeps_the_whole_form_with_its_image_file(alice, alice_client):
    out_of_quota(alice)
    image = image_file()
    response = ask(
        alice_client,
        resolution="1080p",
        duration="6",
        prompt_optimizer="",
        takes="3",
        image=image,
        note="For the client pitch on Friday",
    )
    assert response.status_code == 200
    assert "Asked staff to approve these 3 takes (about 30 credits)." in (
        elements(response).text("errors-__all__")
    )
    request = ApprovalRequest.objects.get()
    assert (request.member, request.prompt_text, request.state) == (alice, PROMPT, "pending")
    assert (request.resolution, request.duration, request.prompt_optimizer) == ("1080p", 6, False)
    assert (request.clips, request.estimated_credits) == (3, 30)
    assert request.note == "For the client pitch on Friday"
    assert request.refusal.startswith("These clips need about 30 credits, but your monthly quota")
    assert request.first_frame.name.startswith("approval-frames/")
    assert default_storage.open(request.first_frame.name).read() == picture()
    assert not Generation.objects.exists()


def test_the_request_keeps_an_image_given_by_web_address(alice, alice_client):
    out_of_quota(alice)
    ask(alice_client, image_url="https://images.example.com/kite.jpg")
    request = ApprovalRequest.objects.get()
    assert request.first_frame_url == "https://images.example.com/kite.jpg"
    assert not request.first_frame


def test_the_request_keeps_a_copy_of_a_remixed_clips_image(alice, bob, alice_client):
    source = Generation.start(owner=bob, prompt_text="Bob's kite", first_frame=image_file())
    out_of_quota(alice)
    ask(alice_client, reuse_image_of=str(source.pk))
    request = ApprovalRequest.objects.get()
    assert request.first_frame.name.startswith("approval-frames/")
    assert request.first_frame.name != source.first_frame.name  # its own copy
    assert default_storage.open(request.first_frame.name).read() == picture()


def test_asking_writes_the_audit_entry(alice, alice_client):
    out_of_quota(alice)
    ask(alice_client, takes="2", note="Please")
    entry = AuditEntry.objects.get()
    request = ApprovalRequest.objects.get()
    assert (entry.kind, entry.actor, entry.member) == (AuditKind.APPROVAL_ASKED, alice, alice)
    assert f"“{PROMPT}”" in entry.summary and "about 10 credits" in entry.summary
    assert entry.after == {"request": request.pk, "state": "pending", "estimated_credits": 10,
                           "clips": 2, "past_team_budget": False, "refused_by": "quota",
                           "note": "Please"}  # fmt: skip


def test_asking_twice_for_the_same_form_makes_one_request(alice, alice_client):
    out_of_quota(alice)
    first = ask(alice_client, image=image_file())
    again = ask(alice_client, image=image_file())  # a double click sends the same form twice
    assert "Asked staff to approve this clip (about 5 credits)." in first.content.decode()
    assert "You already asked staff to approve this clip" in elements(again).text("errors-__all__")
    assert ApprovalRequest.objects.count() == 1
    assert AuditEntry.objects.filter(kind=AuditKind.APPROVAL_ASKED).count() == 1
    stored = default_storage.listdir("approval-frames")[1]
    assert len(stored) == 1  # the second copy of the image was not kept


def test_another_image_or_setting_is_another_request(alice, alice_client):
    out_of_quota(alice)
    ask(alice_client, image=image_file())
    ask(alice_client, image=image_file(size=(900, 600)))
    ask(alice_client, image=image_file(), duration="10")
    assert ApprovalRequest.objects.count() == 3


def test_a_clip_the_budget_admits_needs_no_approval(alice_client):
    response = ask(alice_client)
    assert "press Generate" in elements(response).text("errors-__all__")
    assert not ApprovalRequest.objects.exists()


def test_staff_need_no_approval(staff, staff_client):
    out_of_quota(staff)
    response = ask(staff_client)
    assert "Staff need no approval" in elements(response).text("errors-__all__")
    assert not ApprovalRequest.objects.exists()


def test_a_bad_image_is_refused_in_words_with_the_note_kept(alice, alice_client):
    out_of_quota(alice)
    response = ask(alice_client, image=image_file(size=(200, 200)), note="Urgent")
    page = elements(response)
    assert "shorter side" in page.text("errors-image")
    assert page.text("id_note") == "Urgent"  # the offer stays, with what was typed
    assert not ApprovalRequest.objects.exists()
    assert not default_storage.exists("approval-frames")


def test_without_javascript_it_asks_and_goes_back_to_the_studio(alice, alice_client):
    out_of_quota(alice)
    response = ask(alice_client, htmx=False)
    assert response.status_code == 302 and response["Location"] == reverse("studio")
    studio = alice_client.get(reverse("studio")).content.decode()
    assert "Asked staff to approve this clip (about 5 credits)." in studio
    assert ApprovalRequest.objects.get().state == ApprovalState.PENDING


def test_without_javascript_a_refusal_shows_the_studio_with_what_was_typed(alice_client):
    response = ask(alice_client, htmx=False, prompt="Words I typed")
    assert response.status_code == 400
    assert "press Generate" in elements(response).text("errors-__all__")
    assert "Words I typed" in elements(response).text("id_prompt")


def test_the_studio_shows_the_members_waiting_requests(alice, alice_client, bob_client):
    out_of_quota(alice)
    response = ask(alice_client)
    assert response.status_code == 200
    panel = elements(response)
    assert "Waiting for approval" in panel.text("approval-requests")
    assert (
        "approval-requests" in panel.attributes
        and "hidden" not in (panel.attributes["approval-requests"])
    )
    studio = elements(alice_client.get(reverse("studio")))
    assert PROMPT in studio.text("approval-requests") and "about 5 credits" in (
        studio.text("approval-requests")
    )
    bobs = elements(bob_client.get(reverse("studio")))  # a teammate's requests are not his
    assert "hidden" in bobs.attributes["approval-requests"] and PROMPT not in bobs.text(
        "approval-requests"
    )


def test_the_request_keeps_the_clip_it_continues_with_its_last_frame(
    alice, bob, alice_client, make_generation
):
    from django.core.files.base import ContentFile

    from tests.clip_files import stored_clip

    earlier = stored_clip(make_generation, bob, "Bob's kite, part one")
    earlier.last_frame = default_storage.save("last-frames/part-one.png", ContentFile(picture()))
    earlier.save(update_fields=["last_frame"])
    out_of_quota(alice)
    ask(alice_client, continues=str(earlier.pk))
    request = ApprovalRequest.objects.get()
    assert request.continues == earlier
    assert default_storage.open(request.first_frame.name).read() == picture()


def test_a_note_too_long_is_refused_under_the_note(alice, alice_client):
    out_of_quota(alice)
    response = ask(alice_client, note="x" * 1001)
    assert "The note is 1001 characters; the limit is 1000." in elements(response).text(
        "errors-note"
    )
    assert not ApprovalRequest.objects.exists()
