"""A reel's shots play in the team's order: added at the end (in the order given, a clip once),
moved a place with "Move up"/"Move down", dragged into a new order, or removed; positions stay
1..n. Every edit moves the reel's version on, so a made reel is stale until it is made again.
Any member edits any reel (a reel is the team's cut); only its maker or staff delete it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from generations.models.reels import MAX_SHOTS, Reel, ReelState

HTMX = {"HTTP_HX_REQUEST": "true"}
PROMPTS = ["Alpha dawn", "Bravo dusk", "Charlie noon", "Delta night"]


@pytest.fixture
def clips(alice, make_generation):
    start = timezone.now() - timedelta(hours=1)
    return [
        make_generation(alice, prompt, "completed", created_at=start + timedelta(minutes=i))
        for i, prompt in enumerate(PROMPTS)
    ]


@pytest.fixture
def reel(alice, clips):
    reel = Reel.make(name="Sequence", by=alice)
    reel.add([clip.pk for clip in clips], by=alice)
    return reel


def order(reel) -> list[str]:
    return [s.generation.prompt.text for s in reel.ordered_shots()]


def positions(reel) -> list[int]:
    return list(reel.shots.values_list("position", flat=True))


def made(reel) -> Reel:
    """The reel as if its task had just made it as it stands."""
    Reel.objects.filter(pk=reel.pk).update(
        state=ReelState.READY, made_version=reel.version, file="reels/x.mp4", made_at=timezone.now()
    )
    reel.refresh_from_db()
    assert not reel.is_stale and reel.state_words() == "Ready"
    return reel


def shown(response) -> list[str]:
    html = response.content.decode()
    return [p for p in re.findall(r'title="([^"]+)"', html) if p in PROMPTS]


def shot_of(reel, clip):
    return reel.shots.get(generation=clip)


def test_clips_go_at_the_end_in_the_order_given_each_once(alice, reel, clips, make_generation):
    assert order(reel) == PROMPTS and positions(reel) == [1, 2, 3, 4]
    echo = make_generation(alice, "Echo rain", "completed")
    added = reel.add([echo.pk, clips[0].pk, echo.pk], by=alice)
    assert (added.added, added.already) == (1, 1)
    assert order(reel) == [*PROMPTS, "Echo rain"] and positions(reel) == [1, 2, 3, 4, 5]
    assert "1 was in it already" in added.words


def test_a_failed_or_deleted_clip_is_left_out_in_words(alice, make_generation):
    reel = Reel.make(name="Leftovers", by=alice)
    failed = make_generation(alice, "Broken", "failed", failure_reason="Outage.")
    gone = make_generation(alice, "Deleted", "completed")
    gone.soft_delete(by=alice)
    running = make_generation(alice, "Still rendering", "processing")
    added = reel.add([failed.pk, gone.pk, running.pk], by=alice)
    assert added.added == 1 and order(reel) == ["Still rendering"]  # made later, it can wait
    assert "Left out 2 clips that failed" in added.words


def test_a_reel_holds_at_most_so_many_shots(alice, make_generation, settings, monkeypatch):
    monkeypatch.setattr("generations.models.reels.MAX_SHOTS", 2)
    reel = Reel.make(name="Short", by=alice)
    more = [make_generation(alice, f"Clip {n}", "completed").pk for n in range(3)]
    added = reel.add(more, by=alice)
    assert (added.added, added.no_room) == (2, 1) and "did not fit" in added.words
    assert MAX_SHOTS >= 10


def test_move_up_and_down_keeps_positions_one_to_n(alice_client, reel, clips):
    url = reverse("reel_move", args=[reel.pk])
    response = alice_client.post(url, {"shot": shot_of(reel, clips[2]).pk, "direction": "up"})
    assert response.status_code == 302
    assert order(reel) == ["Alpha dawn", "Charlie noon", "Bravo dusk", "Delta night"]
    page = alice_client.post(url, {"shot": shot_of(reel, clips[0]).pk, "direction": "down"}, **HTMX)
    assert "Moved “Alpha dawn” to shot 2 of 4." in page.content.decode()
    assert shown(page) == ["Charlie noon", "Alpha dawn", "Bravo dusk", "Delta night"]
    assert positions(reel) == [1, 2, 3, 4]


def test_moving_the_first_up_says_so_and_changes_nothing(alice_client, reel, clips):
    version = reel.version
    url = reverse("reel_move", args=[reel.pk])
    page = alice_client.post(url, {"shot": shot_of(reel, clips[0]).pk, "direction": "up"}, **HTMX)
    assert "“Alpha dawn” is already first." in page.content.decode()
    reel.refresh_from_db()
    assert reel.version == version and order(reel) == PROMPTS


def test_a_drag_sends_the_new_order(alice_client, reel, clips):
    ids = [shot_of(reel, clip).pk for clip in (clips[3], clips[0], clips[2], clips[1])]
    page = alice_client.post(
        reverse("reel_arrange", args=[reel.pk]), {"ids": [*ids, "999999", "junk"]}, **HTMX
    )
    assert page.status_code == 200 and "Saved the new order of the shots." in page.content.decode()
    assert order(reel) == ["Delta night", "Alpha dawn", "Charlie noon", "Bravo dusk"]
    assert positions(reel) == [1, 2, 3, 4]


def test_a_drag_of_some_shots_leaves_the_others_in_place(reel, clips):
    reel.arrange([shot_of(reel, clips[3]).pk, shot_of(reel, clips[1]).pk])
    assert order(reel) == ["Alpha dawn", "Delta night", "Charlie noon", "Bravo dusk"]


def test_removing_a_shot_closes_up_the_order_and_keeps_the_clip(alice_client, reel, clips):
    shot = shot_of(reel, clips[1])
    page = alice_client.post(reverse("reel_remove", args=[reel.pk]), {"shot": shot.pk}, **HTMX)
    assert "Took “Bravo dusk” out of the reel." in page.content.decode()
    assert order(reel) == ["Alpha dawn", "Charlie noon", "Delta night"]
    assert positions(reel) == [1, 2, 3]
    clips[1].refresh_from_db()
    assert clips[1].deleted_at is None
    again = alice_client.post(reverse("reel_remove", args=[reel.pk]), {"shot": shot.pk})
    assert again.status_code == 404


@pytest.mark.parametrize("edit", ["add", "move", "arrange", "remove"])
def test_every_edit_makes_a_made_reel_stale(alice, reel, clips, make_generation, edit):
    made(reel)
    version = reel.version
    shots = list(reel.ordered_shots())
    if edit == "add":
        reel.add([make_generation(alice, "Echo rain", "completed").pk], by=alice)
    elif edit == "move":
        reel.move(shots[0].pk, 1)
    elif edit == "arrange":
        reel.arrange([shots[1].pk, shots[0].pk])
    else:
        reel.remove(shots[0].pk)
    reel.refresh_from_db()
    assert reel.version == version + 1
    assert reel.is_stale and not reel.shows_file
    assert reel.state == ReelState.READY and reel.state_words() == "Stale: edited since it was made"


def test_a_deleted_clip_leaves_its_shot_gone_and_the_reel_stale(alice, alice_client, reel, clips):
    made(reel)
    clips[2].soft_delete(by=alice)
    reel = Reel.objects.with_facts().get(pk=reel.pk)
    assert reel.state_words() == "Stale: a clip in it was deleted" and not reel.shows_file
    page = alice_client.get(reel.get_absolute_url()).content.decode()
    assert "its clip (“Charlie noon”) was deleted" in page
    assert shot_of(reel, clips[2]).is_gone
    assert order(reel) == PROMPTS  # it keeps its place until someone takes it out


def test_any_member_edits_a_teammates_reel(bob_client, reel, clips):
    url = reverse("reel_move", args=[reel.pk])
    assert (
        bob_client.post(url, {"shot": shot_of(reel, clips[3]).pk, "direction": "up"}).status_code
        == 302
    )
    remove = reverse("reel_remove", args=[reel.pk])
    assert bob_client.post(remove, {"shot": shot_of(reel, clips[0]).pk}).status_code == 302
    assert order(reel) == ["Bravo dusk", "Delta night", "Charlie noon"]


def test_only_its_maker_or_staff_delete_a_reel(bob_client, staff_client, reel, clips):
    refused = bob_client.post(reverse("reel_delete", args=[reel.pk]))
    assert refused.status_code == 403
    assert "Only alice, who made this reel, or staff can delete it." in refused.content.decode()
    assert Reel.objects.filter(pk=reel.pk).exists()
    assert staff_client.post(reverse("reel_delete", args=[reel.pk])).status_code == 302
    assert not Reel.objects.filter(pk=reel.pk).exists()
    for clip in clips:
        clip.refresh_from_db()
        assert clip.deleted_at is None


@pytest.mark.parametrize(
    "data",
    [
        {"shot": "", "direction": "up"},
        {"shot": "not a number", "direction": "up"},
        {"shot": "{shot}", "direction": "sideways"},
    ],
)
def test_a_move_without_a_shot_or_a_direction_is_refused(alice_client, reel, clips, data):
    data = {k: v.replace("{shot}", str(shot_of(reel, clips[0]).pk)) for k, v in data.items()}
    response = alice_client.post(reverse("reel_move", args=[reel.pk]), data)
    assert response.status_code in (400, 404)
    assert order(reel) == PROMPTS


def test_a_shot_of_another_reel_is_not_this_reels(alice, alice_client, reel, clips):
    other = Reel.make(name="Other", by=alice)
    other.add([clips[0].pk], by=alice)
    foreign = other.shots.get()
    response = alice_client.post(reverse("reel_remove", args=[reel.pk]), {"shot": foreign.pk})
    assert response.status_code == 404 and other.shots.exists()
