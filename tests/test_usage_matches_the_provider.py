"""The usage page is the truth: against an implementation of the Apiframe contract written apart
from the studio's simulator (tests/independent_apiframe.py, with prices of its own), the CSV's
credits for each member equal what the provider billed, after a mix of submits and deletes."""

import csv
import io

import pytest
from django.urls import reverse

from generations.models import Budget, Generation
from generations.pipeline import tasks, track

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(independent_apiframe, settings):
    from generations.pipeline import expectations

    settings.APIFRAME_BASE_URL = independent_apiframe.url
    settings.APIFRAME_API_KEY = independent_apiframe.api_key
    settings.EXPECTED_JOB_SECONDS = 1.0
    settings.PUBLIC_URL = ""
    expectations.forget()
    Budget.objects.update_or_create(pk=1, defaults={"max_running_per_member": 10})
    yield independent_apiframe
    expectations.forget()


def start(owner, prompt: str, **settings_) -> Generation:
    return Generation.start(owner=owner, prompt_text=prompt, **settings_)


def submit(generation: Generation) -> Generation:
    tasks.submit_generation(str(generation.pk))
    generation.refresh_from_db()
    return generation


def csv_credits(client) -> dict[str, int]:
    table = list(csv.reader(io.StringIO(client.get(reverse("usage_csv")).content.decode())))
    column = table[0].index("Credits spent")
    return {line[0]: int(line[column]) for line in table[1:]}


def test_the_csv_credits_equal_what_the_provider_billed(provider, alice, bob, staff_client):
    alice_clips = [
        submit(start(alice, "A red kite over dunes")),
        submit(start(alice, "A glass city at dusk", duration=10)),
        submit(start(alice, "A slow train in snow", resolution="1080p")),  # billed 12, est. 10
        submit(start(alice, "FAILME: a storm that never comes")),  # failed: billed nothing
    ]
    bob_clips = [
        submit(start(bob, "A heron taking off")),
        submit(start(bob, "Lanterns on a river", resolution="1080p")),
    ]
    never_sent = start(bob, "A clip deleted before it was sent")

    # Deleted while running (still billed), and before it was sent (never billed).
    alice_clips[1].soft_delete(by=alice)
    bob_clips[1].soft_delete(by=bob)
    never_sent.soft_delete(by=bob)

    assert track.run_tracker(seconds=60)
    assert not Generation.objects.in_pipeline().exists()

    alice_keys = [str(clip.pk) for clip in alice_clips]
    bob_keys = [str(clip.pk) for clip in [*bob_clips, never_sent]]
    assert provider.billed_for(*alice_keys) == 5 + 10 + 12
    assert provider.billed_for(*bob_keys) == 5 + 12
    credits = csv_credits(staff_client)
    assert credits["alice"] == provider.billed_for(*alice_keys)
    assert credits["bob"] == provider.billed_for(*bob_keys)
    assert credits["Total"] == provider.billed_total()
