"""A submission of several takes is admitted whole or not at all: never 2 of 3."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generations.models import Budget, BudgetRefusal, Generation, MemberQuota, Prompt
from tests.fixtures import picture

HTMX = {"HTTP_HX_REQUEST": "true"}
PROMPT = "A kite over a windy beach"


@pytest.fixture
def budget(db) -> Budget:
    return Budget.current()


def post(client, **fields):
    data = {"prompt": PROMPT, "resolution": "768p", "duration": "6", "prompt_optimizer": "on"}
    return client.post(reverse("generation_create"), {**data, **fields}, **HTMX)


def form_error(response) -> str:
    html = response.content.decode()
    start = html.index('id="errors-__all__"')
    return html[start : html.index("</div>", start)]


def stored_files(settings) -> list:
    return [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_three_takes_against_room_for_two_are_refused_whole(budget, alice, alice_client, settings):
    MemberQuota.objects.create(member=alice, monthly_credits=12)  # two clips of 5, not three
    response = post(alice_client, takes="3")
    assert "These clips need about 15 credits" in form_error(response)
    assert "your monthly quota has 12 left" in form_error(response)
    assert not Generation.objects.exists()
    assert not Prompt.objects.exists()  # the prompt's use is not counted either
    assert not stored_files(settings)


def test_a_refused_batch_leaves_no_first_frame_behind(budget, alice, settings):
    """Past the form's own check (a race lost under the lock): the takes' files go too."""
    MemberQuota.objects.create(member=alice, monthly_credits=12)
    image = SimpleUploadedFile("frame.png", picture())
    with pytest.raises(BudgetRefusal, match="about 15 credits") as refused:
        Generation.start_batch(owner=alice, prompt_text=PROMPT, takes=3, first_frame=image)
    assert refused.value.rule == "quota"
    assert not Generation.objects.exists() and not Prompt.objects.exists()
    assert not stored_files(settings)


def test_the_team_budget_refuses_a_batch_whole_too(budget, alice):
    budget.team_monthly_credits = 19  # three takes of 5, not four
    budget.save()
    with pytest.raises(BudgetRefusal, match="about 20 credits, but the team's monthly budget"):
        Generation.start_batch(owner=alice, prompt_text=PROMPT, takes=4)
    assert not Generation.objects.exists()
    assert len(Generation.start_batch(owner=alice, prompt_text=PROMPT, takes=3)) == 3


def test_a_batch_that_fits_is_admitted_whole(budget, alice, alice_client, settings):
    MemberQuota.objects.create(member=alice, monthly_credits=15)
    image = SimpleUploadedFile("frame.png", picture())
    response = post(alice_client, takes="3", image=image)
    assert response.status_code == 200
    takes = list(Generation.objects.order_by("take"))
    assert [take.take for take in takes] == [1, 2, 3]
    assert {take.batch_size for take in takes} == {3}
    assert len({take.batch for take in takes}) == 1 and takes[0].batch is not None
    assert [take.estimated_credits for take in takes] == [5, 5, 5]
    assert Generation.objects.standing(alice).spent == 15
    assert Prompt.objects.get().use_count == 3
    # Each take is its own job later, so each keeps its own copy of the first frame.
    assert len({take.first_frame.name for take in takes}) == 3
    assert len(stored_files(settings)) == 3


def test_the_in_flight_limit_refuses_only_when_no_slot_is_free(budget, alice, make_generation):
    budget.max_running_per_member = 2
    budget.save()
    make_generation(alice, status="processing")
    takes = Generation.start_batch(owner=alice, prompt_text=PROMPT, takes=3)
    assert [take.awaits_slot for take in takes] == [False, True, True]
    with pytest.raises(BudgetRefusal, match="the most one person can have") as refused:
        Generation.start_batch(owner=alice, prompt_text=PROMPT, takes=2)
    assert refused.value.rule == "running"
    assert Generation.objects.count() == 4


def test_one_clip_is_a_batch_of_one(budget, alice_client):
    post(alice_client)
    generation = Generation.objects.get()
    assert (generation.batch, generation.take, generation.batch_size) == (None, 1, 1)
    assert not generation.is_take and generation.take_label == ""
