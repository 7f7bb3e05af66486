"""The form's "Clips" field: 1 to 4 takes of one prompt, its estimate multiplied, a wrong count
answered in words with nothing made."""

import re

import pytest
from django.urls import reverse

from generations.forms import GenerationForm
from generations.models import Budget, Generation, MemberQuota, Prompt

HTMX = {"HTTP_HX_REQUEST": "true"}
PROMPT = "A paper boat in a gutter stream"


def post(client, htmx=True, **fields):
    data = {"prompt": PROMPT, "resolution": "768p", "duration": "6", "prompt_optimizer": "on"}
    return client.post(reverse("generation_create"), {**data, **fields}, **(HTMX if htmx else {}))


def error_slot(response, field: str) -> str:
    html = response.content.decode()
    start = html.index(f'id="errors-{field}"')
    return html[start : html.index("</div>", start)]


def test_the_form_offers_one_to_four_clips_one_chosen(alice_client):
    html = alice_client.get(reverse("studio")).content.decode()
    assert "<legend>Clips</legend>" in html
    values = re.findall(r'<input type="radio" name="takes" value="(\d)"[^>]*>', html)
    assert values == ["1", "2", "3", "4"]
    assert re.search(r'name="takes" value="1"[^>]*checked', html)
    assert 'id="errors-takes"' in html  # where #form-errors puts its words


@pytest.mark.parametrize("asked", ["0", "5", "x", "-1", "1.5"])
def test_a_count_outside_one_to_four_is_answered_in_words(alice_client, asked):
    response = post(alice_client, takes=asked)
    assert "Choose 1 to 4 clips: one Generate makes at most 4 takes" in error_slot(
        response, "takes"
    )
    assert not Generation.objects.exists() and not Prompt.objects.exists()


def test_without_htmx_a_wrong_count_keeps_the_prompt(alice_client):
    response = post(alice_client, htmx=False, takes="5")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose 1 to 4 clips" in html and PROMPT in html


def test_no_count_at_all_is_one_clip(alice_client):
    post(alice_client)
    assert Generation.objects.get().batch_size == 1


def test_three_clips_answer_with_three_cards_newest_first(
    alice_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(alice_client, takes="3")
    html = response.content.decode()
    takes = list(Generation.objects.order_by("take"))
    assert len(takes) == 3 and {take.batch_size for take in takes} == {3}
    places = [html.index(f'id="gen-{take.pk}"') for take in takes]
    assert places == sorted(places, reverse=True)  # as the gallery shows them: take 3 on top
    for take in takes:
        assert f"Take {take.take} of 3" in html


def test_the_budget_check_counts_every_clip(db, alice, alice_client):
    MemberQuota.objects.create(member=alice, monthly_credits=18)
    budget = Budget.current()
    budget.price_768p_10s = 6
    budget.save()
    response = post(alice_client, takes="4", duration="10")
    words = error_slot(response, "__all__")
    assert "These clips need about 24 credits" in words and "18 left" in words
    assert not Generation.objects.exists()
    post(alice_client, takes="3", duration="10")  # 18: fits exactly
    assert Generation.objects.count() == 3


def test_the_pre_check_reads_the_count_before_any_costly_check(db, alice):
    MemberQuota.objects.create(member=alice, monthly_credits=10)
    form = GenerationForm({"prompt": PROMPT, "takes": "3"}, member=alice)
    assert form.budget_refusal and "about 15 credits" in form.budget_refusal
    assert GenerationForm({"prompt": PROMPT, "takes": "2"}, member=alice).budget_refusal is None
    # A count it can't read is priced as one clip; the field's own error says why.
    assert GenerationForm({"prompt": PROMPT, "takes": "9"}, member=alice).budget_refusal is None
