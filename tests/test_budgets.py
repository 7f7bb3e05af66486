"""Budgets hold: the team's monthly budget, members' quotas and the cap on clips in flight."""

import pytest
from django.urls import reverse

from generations.apiframe.payloads import Job
from generations.models import Budget, BudgetRefusal, Generation, MemberQuota, Status
from generations.models.budgets import PRICE_TABLE, NotOffered, month_bounds, renewal_words

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def budget(db):
    return Budget.current()


def post(client, **fields):
    data = {"prompt": "A glass of water on a table", "resolution": "768p", "duration": "6",
            "prompt_optimizer": "on", **fields}  # fmt: skip
    return client.post(reverse("generation_create"), data, **HTMX)


def form_error(response) -> str:
    html = response.content.decode()
    start = html.index('id="errors-__all__"')
    return html[start : html.index("</div>", start)]


def finish(generation, credit_cost):
    generation.apply_job(Job.from_json({"id": "j", "status": "PROCESSING", "progress": 50}))
    generation.apply_job(Job.from_json({"id": "j", "status": "COMPLETED", "result": "http://x/a.mp4",
                                        "creditCost": credit_cost}))  # fmt: skip
    generation.mark_stored(video="clips/a.mp4", poster="posters/a.jpg")


def test_a_submission_reserves_its_estimate(budget, alice):
    generation = Generation.start(owner=alice, prompt_text="x", resolution="1080p", duration=6)
    assert generation.estimated_credits == 10
    assert Generation.objects.standing(alice).spent == 10


def test_completion_settles_with_the_real_cost(budget, alice):
    generation = Generation.start(owner=alice, prompt_text="x")
    Generation.objects.filter(pk=generation.pk).update(status=Status.SUBMITTED)
    generation.refresh_from_db()
    finish(generation, credit_cost=4)
    assert Generation.objects.standing(alice).spent == 4


def test_failure_releases_the_reservation(budget, alice):
    generation = Generation.start(owner=alice, prompt_text="x")
    generation.fail("Apiframe could not make this clip: content policy", credit_cost=0)
    assert Generation.objects.standing(alice).spent == 0


def test_a_failure_before_apiframe_billed_releases_it_too(budget, alice):
    Generation.start(owner=alice, prompt_text="x").fail(
        "It could not be submitted within 15 minutes."
    )
    assert Generation.objects.standing(alice).spent == 0


def test_the_price_table_is_the_budgets(budget, alice):
    budget.price_768p_10s = 12
    budget.save()
    assert Generation.start(owner=alice, prompt_text="x", duration=10).estimated_credits == 12


def test_a_new_budget_prices_every_size_from_the_price_table(budget):
    assert {size: budget.price(*size) for size in PRICE_TABLE} == PRICE_TABLE


@pytest.mark.parametrize(("resolution", "duration"), [("1080p", 10), ("720p", 6), ("768p", 8)])
def test_a_size_the_studio_does_not_offer_has_no_price(budget, resolution, duration):
    with pytest.raises(NotOffered, match=f"does not offer {resolution} clips of {duration} s"):
        budget.price(resolution, duration)


def test_asking_for_1080p_at_10_s_is_refused_for_its_size_not_its_price(budget, alice_client):
    response = post(alice_client, resolution="1080p", duration="10")
    assert response.status_code == 200
    assert "1080p clips are 6 seconds long" in response.content.decode()
    assert Generation.objects.count() == 0


def test_a_member_over_quota_is_told_what_is_left_and_when_it_renews(budget, alice, alice_client):
    budget.member_monthly_credits = 8
    budget.save()
    assert post(alice_client).status_code == 200  # 5 of 8
    response = post(alice_client)
    assert (
        f"This clip needs about 5 credits, but your monthly quota has 3 left (of 8). "
        f"It renews on {renewal_words()}." in form_error(response)
    )
    assert Generation.objects.count() == 1


def test_a_personal_quota_overrides_the_default(budget, alice, bob, alice_client, bob_client):
    budget.member_monthly_credits = 5
    budget.save()
    MemberQuota.objects.create(member=alice, monthly_credits=20)
    assert post(alice_client).status_code == 200 and post(alice_client).status_code == 200
    assert post(bob_client).status_code == 200
    assert "your monthly quota has 0 left (of 5)" in form_error(post(bob_client))


def test_the_team_budget_binds_everyone(budget, alice_client, bob_client):
    budget.team_monthly_credits = 10
    budget.max_running_per_member = 10
    budget.save()
    post(alice_client)
    post(bob_client)
    message = form_error(post(alice_client))
    assert "but the team&#x27;s monthly budget has 0 left (of 10)" in message
    assert "a staff member can raise it in the admin" in message


def test_in_flight_clips_are_capped_per_member(budget, alice_client, bob_client):
    for _ in range(3):
        post(alice_client)
    message = form_error(post(alice_client))
    assert "You already have 3 clips being made, the most one person can have at a time." in message
    assert post(bob_client).status_code == 200 and Generation.objects.count() == 4


def test_a_finished_clip_frees_a_place(budget, alice, alice_client):
    first = Generation.start(owner=alice, prompt_text="a")
    Generation.start(owner=alice, prompt_text="b")
    Generation.start(owner=alice, prompt_text="c")
    first.fail("gone")
    assert Generation.objects.standing(alice).running == 2
    assert 'id="gen-' in post(alice_client).content.decode()


def test_staff_can_go_over_explicitly_and_it_is_recorded(budget, staff, staff_client):
    budget.team_monthly_credits = 0
    budget.save()
    assert "monthly budget has 0 left" in form_error(post(staff_client))
    response = post(staff_client, over_budget="on")
    assert 'id="gen-' in response.content.decode()
    assert Generation.objects.get().over_budget is True


def test_members_cannot_use_the_staff_override(budget, alice_client):
    budget.team_monthly_credits = 0
    budget.save()
    assert "monthly budget has 0 left" in form_error(post(alice_client, over_budget="on"))
    assert not Generation.objects.exists()


def test_a_refused_retry_says_why(budget, alice, alice_client, make_generation):
    failed = make_generation(alice, status="failed", failure_reason="outage")
    budget.team_monthly_credits = 0
    budget.save()
    response = alice_client.post(reverse("generation_retry", args=[failed.pk]), **HTMX)
    assert "monthly budget has 0 left" in response.content.decode()
    assert response["HX-Reswap"] == "none"
    assert Generation.objects.count() == 1


def test_a_refused_upload_leaves_no_file_behind(budget, alice, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.fixtures import picture

    budget.team_monthly_credits = 0
    budget.save()
    with pytest.raises(BudgetRefusal):
        Generation.start(
            owner=alice, prompt_text="x", first_frame=SimpleUploadedFile("a.png", picture())
        )
    folder = settings.MEDIA_ROOT / "first-frames"
    assert not folder.exists() or not any(folder.iterdir())


def test_the_form_says_where_the_member_stands(budget, alice, alice_client):
    budget.member_monthly_credits = 50
    budget.save()
    Generation.start(owner=alice, prompt_text="x")
    html = alice_client.get(reverse("studio")).content.decode()
    assert "This month you have used <strong>5</strong> credits of your 50" in html
    assert "<strong>45</strong> left until" in html
    assert "1 of 3 clips running" in html


def test_the_account_page_shows_usage_and_what_remains(budget, alice, alice_client):
    budget.member_monthly_credits = 50
    budget.save()
    Generation.start(owner=alice, prompt_text="x", resolution="1080p")
    html = alice_client.get(reverse("account")).content.decode()
    assert "<strong>10</strong>credits used this month" in html
    assert "<strong>40</strong>credits left until" in html
    assert f"{month_bounds()[0]:%B %Y}" in html


def test_last_months_clips_do_not_count(budget, alice):
    from datetime import timedelta

    start, _ = month_bounds()
    Generation.start(owner=alice, prompt_text="x")
    Generation.objects.update(created_at=start - timedelta(seconds=1))
    assert Generation.objects.standing(alice).spent == 0
