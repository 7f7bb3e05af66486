"""Compare: 2 to 4 clips side by side with one control bar and each clip's star; any other ask
is answered in words (4xx), with the way back to the studio."""

import re
import uuid

import pytest
from django.urls import reverse

from generations.models import Generation, Star

COMPARE = "/compare/"


@pytest.fixture
def clips(alice, bob, make_generation) -> list[Generation]:
    return [
        make_generation(alice, "A fox in the snow", status="completed"),
        make_generation(bob, "A fox in the rain", status="completed"),
        make_generation(alice, "A fox in the sun", status="completed"),
        make_generation(bob, "A fox in the fog", status="completed"),
        make_generation(alice, "A fox in the wind", status="completed"),
    ]


def ask(client, *generations, **extra):
    return client.get(COMPARE, {"clip": [str(g.pk) for g in generations], **extra})


def players(html: str) -> list[str]:
    return re.findall(r"<video [^>]*data-compare-video[^>]*>", html)


def test_the_url_is_the_compare_page():
    assert reverse("compare") == COMPARE


@pytest.mark.parametrize("count", [2, 3, 4])
def test_two_to_four_clips_play_side_by_side_with_their_stars(alice_client, clips, count):
    chosen = clips[:count]
    response = ask(alice_client, *chosen)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Compare {count} clips" in html
    assert len(players(html)) == count
    for generation in chosen:
        assert generation.prompt.text in html
        assert generation.owner.get_username() in html
        assert f'action="{reverse("generation_star", args=[generation.pk])}"' in html
    assert html.count('aria-pressed="false"') >= count  # nobody's keeper yet
    assert "data-compare-play" in html and "data-compare-seek" in html
    assert f'class="compare-grid compare-{count}"' in html
    # In the order chosen: Clip 1 is the first asked for.
    places = [html.index(f'id="compare-{g.pk}"') for g in chosen]
    assert places == sorted(places)


def test_a_clip_starred_there_is_the_members_keeper(alice, alice_client, clips):
    Star.set(alice, [clips[1].pk], True)
    html = ask(alice_client, *clips[:3]).content.decode()
    star = html[html.index(f'id="star-button-{clips[1].pk}"') :]
    assert star.split(">", 1)[0].endswith('aria-pressed="true"')
    answer = alice_client.post(
        reverse("generation_star", args=[clips[2].pk]), {"starred": "1"}, HTTP_HX_REQUEST="true"
    )
    assert answer.status_code == 200 and 'aria-pressed="true"' in answer.content.decode()


def test_a_batch_compares_its_takes_in_order(alice, alice_client, db):
    takes = Generation.start_batch(owner=alice, prompt_text="A dancer on a rooftop", takes=3)
    html = alice_client.get(COMPARE, {"batch": str(takes[0].batch)}).content.decode()
    assert "Compare 3 takes" in html and "A dancer on a rooftop" in html
    places = [html.index(f"Take {n} of 3") for n in (1, 2, 3)]
    assert places == sorted(places)
    # Not made yet: each shows where it is, not a player.
    assert players(html) == []
    assert html.count('<div class="placeholder') == 3  # where each is, instead
    takes[1].soft_delete(by=alice)
    html = alice_client.get(COMPARE, {"batch": str(takes[0].batch)}).content.decode()
    assert "Compare 2 takes" in html and "Take 2 of 3" not in html
    assert "1 take of this batch was deleted and is not shown" in html


def test_a_deleted_clip_is_left_out(alice, alice_client, clips):
    clips[2].soft_delete(by=alice)
    html = ask(alice_client, *clips[:3]).content.decode()
    assert len(players(html)) == 2 and clips[2].prompt.text not in html
    assert "1 of the chosen clips was deleted and is not shown" in html


def refusal(response) -> str:
    html = response.content.decode()
    assert "Nothing to compare" in html and 'href="/">Back to the studio</a>' in html
    return html


@pytest.mark.parametrize(
    ("chosen", "words"),
    [
        (1, "Choose 2 to 4 clips to compare; you chose one."),
        (5, "A compare shows at most 4 clips side by side; you chose 5."),
    ],
)
def test_one_clip_or_five_are_refused_in_words(alice_client, clips, chosen, words):
    response = ask(alice_client, *clips[:chosen])
    assert response.status_code == 400
    assert words in refusal(response)
    assert players(response.content.decode()) == []


def test_nothing_chosen_is_refused_in_words(alice_client, db):
    response = alice_client.get(COMPARE)
    assert response.status_code == 400
    assert "you chose none" in refusal(response)


def test_a_bad_id_or_the_same_clip_twice_is_refused(alice_client, clips):
    bad = alice_client.get(COMPARE, {"clip": [str(clips[0].pk), "not-a-clip"]})
    assert bad.status_code == 400 and "is not a clip&#x27;s id" in refusal(bad)
    twice = ask(alice_client, clips[0], clips[0])
    assert twice.status_code == 400 and "The same clip is chosen twice" in refusal(twice)
    both = alice_client.get(COMPARE, {"clip": str(clips[0].pk), "batch": str(uuid.uuid4())})
    assert both.status_code == 400 and "not both at once" in refusal(both)


def test_clips_that_are_gone_are_a_404_in_words(alice, alice_client, clips):
    clips[1].soft_delete(by=alice)
    response = ask(alice_client, clips[0], clips[1])
    assert response.status_code == 404
    assert "1 of the 2 clips chosen is gone" in refusal(response)
    unknown = alice_client.get(COMPARE, {"clip": [str(uuid.uuid4()), str(uuid.uuid4())]})
    assert unknown.status_code == 404 and "2 of the 2 clips chosen are gone" in refusal(unknown)


def test_a_batch_that_is_not_one_or_has_one_take_left(alice, alice_client, db):
    assert alice_client.get(COMPARE, {"batch": "nope"}).status_code == 400
    unknown = alice_client.get(COMPARE, {"batch": str(uuid.uuid4())})
    assert unknown.status_code == 404 and "No takes of that batch are left" in refusal(unknown)
    takes = Generation.start_batch(owner=alice, prompt_text="Two takes", takes=2)
    takes[0].soft_delete(by=alice)
    one_left = alice_client.get(COMPARE, {"batch": str(takes[0].batch)})
    assert one_left.status_code == 400 and "Only one take of that batch is left" in refusal(
        one_left
    )


def test_anonymous_visitors_are_sent_to_log_in(client, clips):
    response = ask(client, *clips[:2])
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_gallerys_select_bar_has_compare(alice_client, clips):
    html = alice_client.get(reverse("studio")).content.decode()
    assert re.search(
        r'<a class="button" href="/compare/" data-compare-selection[^>]*>Compare</a>', html
    )


def test_a_takes_own_page_leads_to_its_batchs_compare(alice, alice_client, db):
    takes = Generation.start_batch(owner=alice, prompt_text="A clock tower at noon", takes=2)
    html = alice_client.get(takes[1].get_absolute_url()).content.decode()
    assert "Take 2 of 2" in html
    assert f'href="{COMPARE}?batch={takes[1].batch}">Compare the takes</a>' in html
