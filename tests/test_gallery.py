"""The shared gallery: everyone's clips, newest first, filtered, paged and updated in place."""

from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation

HTMX = {"HTTP_HX_REQUEST": "true"}


def card_ids(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('id="gen-')[1:]]


class Attributes(HTMLParser):
    """The attributes of every element with an id, by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if element_id := dict(attrs).get("id"):
            self.by_id[element_id] = dict(attrs)


def attributes(response, element_id: str) -> dict[str, str | None]:
    return Attributes(response.content.decode()).by_id[element_id]


def live_update(client, since: str, **filters: str):
    """What the studio page's #gallery-live asks: htmx sends the filter form's fields and the
    hidden `since` (hx-include), with its own headers."""
    fields = {"who": "everyone", "status": "", "resolution": "", "q": "", **filters}
    return client.get(
        reverse("gallery_updates"),
        {**fields, "since": since},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER="gallery-live",
        HTTP_HX_CURRENT_URL="http://testserver/",
    )


@pytest.fixture
def team_clips(alice, bob, make_generation):
    now = timezone.now()
    return [
        make_generation(alice, "Sunrise over dunes", "completed", created_at=now - timedelta(minutes=3),
                        video="clips/a.mp4", poster="posters/a.jpg"),
        make_generation(bob, "Neon alley in the rain", "processing", created_at=now - timedelta(minutes=2),
                        resolution="1080p", progress=45),
        make_generation(bob, "Glacier calving", "failed", created_at=now - timedelta(minutes=1),
                        failure_reason="Apiframe could not make this clip: content policy"),
    ]  # fmt: skip


def test_it_shows_everyones_clips_newest_first(alice_client, team_clips):
    response = alice_client.get(reverse("studio"))
    assert card_ids(response) == [str(g.pk) for g in reversed(team_clips)]
    html = response.content.decode()
    assert "bob" in html and "alice" in html
    assert "Apiframe could not make this clip: content policy" in html
    assert 'value="45"' in html  # the running clip's progress bar


def test_a_finished_card_has_a_lazy_poster_and_a_video_that_loads_nothing(alice_client, team_clips):
    html = alice_client.get(reverse("studio")).content.decode()
    assert 'preload="none"' in html
    assert 'src="/media/posters/a.jpg" alt="" loading="lazy"' in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("who=mine", [0]),
        ("status=running", [1]),
        ("status=failed", [2]),
        ("status=completed", [0]),
        ("resolution=1080p", [1]),
        ("q=rain", [1]),
        ("q=RAIN&who=mine", []),
    ],
)
def test_filters_narrow_the_gallery(alice_client, team_clips, query, expected):
    response = alice_client.get(reverse("gallery") + "?" + query, **HTMX)
    assert card_ids(response) == [str(team_clips[i].pk) for i in reversed(expected)]


def test_a_filter_address_opened_directly_shows_the_whole_studio(alice_client, team_clips):
    response = alice_client.get(reverse("gallery") + "?q=rain")
    assert response.status_code == 302 and response["Location"] == "/?q=rain"


def test_deleted_clips_are_not_shown(alice_client, team_clips):
    team_clips[0].soft_delete()
    assert str(team_clips[0].pk) not in card_ids(alice_client.get(reverse("studio")))


def test_load_more_pages_through_everything_once(alice_client, alice, make_generation):
    start = timezone.now()
    made = [
        make_generation(alice, f"clip {i}", created_at=start - timedelta(seconds=i))
        for i in range(30)
    ]
    first = alice_client.get(reverse("studio"))
    assert len(card_ids(first)) == 24 and "Load more" in first.content.decode()
    cursor = made[23].cursor
    second = alice_client.get(reverse("gallery"), {"before": cursor}, **HTMX)
    seen = card_ids(first) + card_ids(second)
    assert seen == [str(g.pk) for g in made]
    assert "Load more" not in second.content.decode()


def test_the_studio_page_costs_the_same_queries_whatever_is_on_it(
    alice_client, alice, bob, make_generation, django_assert_max_num_queries
):
    for i in range(30):
        make_generation(
            alice if i % 2 else bob, f"clip {i}", "completed" if i % 3 else "processing"
        )
    alice_client.get(reverse("studio"))  # learns how long clips take (cached for a while)
    with django_assert_max_num_queries(10):
        assert alice_client.get(reverse("studio")).status_code == 200


def test_the_page_asks_for_updates_through_htmx(alice_client, alice, make_generation):
    idle = alice_client.get(reverse("studio"))
    live = attributes(idle, "gallery-live")
    assert live["hx-get"] == reverse("gallery_updates") and live["hx-swap"] == "none"
    assert live["hx-include"] == "#gallery-filters, #gallery-since"
    # studio.js fires "poll" at the pace the page's cards call for; data-busy says others' are on the way.
    assert live["hx-trigger"] == "poll, visibilitychange from:document"
    assert "data-busy" not in live
    since = attributes(idle, "gallery-since")
    assert since["name"] == "since" and since["value"]
    assert "hx-swap-oob" not in idle.content.decode()
    make_generation(alice, "Still rendering", "processing")
    running = attributes(alice_client.get(reverse("studio")), "gallery-live")
    assert "data-busy" in running  # faster while a clip is on its way


def test_a_clip_of_ours_makes_the_page_ask_again_soon(alice_client):
    data = {"prompt": "A heron taking off", "resolution": "768p", "duration": "6"}
    response = alice_client.post(reverse("generation_create"), data, **HTMX)
    live = attributes(response, "gallery-live")
    assert live["hx-swap-oob"] == "true" and "data-busy" in live
    assert 'id="gallery-since"' not in response.content.decode()  # asks from where it was


def test_nothing_changed_answers_204(alice_client, team_clips, django_assert_max_num_queries):
    since = (timezone.now() + timedelta(seconds=5)).isoformat()
    with django_assert_max_num_queries(3):
        response = live_update(alice_client, since)
    assert response.status_code == 204 and response.content == b""
    # Asked every few seconds by every open tab: nothing but the status and a few headers.
    assert "Content-Type" not in response and "Content-Security-Policy" not in response
    assert "Content-Security-Policy-Report-Only" not in response


def test_changes_come_out_of_band_with_the_next_since(alice_client, team_clips):
    since = timezone.now().isoformat()
    running = team_clips[1]
    Generation.objects.filter(pk=running.pk).update(
        updated_at=timezone.now() + timedelta(seconds=1)
    )
    response = live_update(alice_client, since)
    card = attributes(response, f"gen-{running.pk}")
    # In place of its old self where the page shows it, else where studio.js decides.
    assert card["hx-swap-oob"] == f"outerHTML:#gen-{running.pk}, #gallery-new"
    assert attributes(response, "gallery-since")["hx-swap-oob"] == "true"
    # The next ask looks back a moment before this one, for changes committed a moment late.
    next_since = datetime.fromisoformat(attributes(response, "gallery-since")["value"])
    assert timezone.now() - timedelta(seconds=5) < next_since < timezone.now()
    live = attributes(response, "gallery-live")
    assert live["hx-swap-oob"] == "true" and "data-busy" in live
    assert "Content-Security-Policy" in response  # an answer with a body keeps the policy


def test_changed_cards_come_oldest_first_so_the_newest_ends_on_top(alice_client, team_clips):
    since = timezone.now().isoformat()
    later = timezone.now() + timedelta(seconds=1)
    for offset, clip in enumerate(reversed(team_clips)):  # updated newest first
        Generation.objects.filter(pk=clip.pk).update(updated_at=later + timedelta(seconds=offset))
    response = live_update(alice_client, since)
    assert card_ids(response) == [str(clip.pk) for clip in team_clips]


def test_a_changed_card_is_sent_alone(alice_client, team_clips):
    since = timezone.now().isoformat()
    running = Generation.objects.get(pk=team_clips[1].pk)
    Generation.objects.filter(pk=running.pk).update(
        progress=80, updated_at=timezone.now() + timedelta(seconds=1)
    )
    response = live_update(alice_client, since)
    assert response.status_code == 200
    assert card_ids(response) == [str(running.pk)]
    assert 'value="80"' in response.content.decode()
    assert "data-busy" in attributes(response, "gallery-live")
    assert attributes(response, "gallery-since")["value"]


def test_when_nothing_is_on_its_way_the_page_asks_less_often(alice_client, team_clips):
    since = timezone.now().isoformat()
    Generation.objects.filter(pk=team_clips[1].pk).update(
        status="failed", updated_at=timezone.now() + timedelta(seconds=1)
    )
    response = live_update(alice_client, since)
    assert card_ids(response) == [str(team_clips[1].pk)]
    assert "data-busy" not in attributes(response, "gallery-live")


def test_a_deleted_card_is_sent_as_a_tombstone(alice_client, team_clips):
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    team_clips[0].soft_delete()
    response = live_update(alice_client, since)
    tombstone = attributes(response, f"gen-{team_clips[0].pk}")
    assert "data-deleted" in tombstone
    assert tombstone["hx-swap-oob"] == f"delete:#gen-{team_clips[0].pk}, #gallery-new"


def test_updates_follow_the_members_filters_but_not_the_status_one(alice_client, team_clips):
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    mine = live_update(alice_client, since, who="mine")
    assert card_ids(mine) == [str(team_clips[0].pk)]
    running = live_update(alice_client, since, status="running")
    assert len(card_ids(running)) == 3


def test_a_generation_page_shows_every_fact(alice_client, team_clips):
    generation = team_clips[0]
    Generation.objects.filter(pk=generation.pk).update(credit_cost=5, job_id="job-123")
    html = alice_client.get(generation.get_absolute_url()).content.decode()
    for fact in (
        "Sunrise over dunes",
        "768p",
        "6 seconds",
        "job-123",
        "Credits",
        ">5<",
        "Download MP4",
    ):
        assert fact in html


def test_the_prompt_library_puts_the_most_used_first(alice_client, alice, bob, make_generation):
    make_generation(alice, "Once")
    for _ in range(3):
        make_generation(bob, "Thrice")
    html = alice_client.get(reverse("prompt_library")).content.decode()
    assert html.index("Thrice") < html.index("Once")
    assert "Used 3 times" in html and "Use this prompt" in html


def test_the_prompt_library_searches(alice_client, alice, make_generation):
    make_generation(alice, "A whale breaching")
    make_generation(alice, "A desert caravan")
    html = alice_client.get(reverse("prompt_library"), {"q": "whale"}).content.decode()
    assert "A whale breaching" in html and "A desert caravan" not in html


def test_a_prompt_page_lists_its_clips(alice_client, alice, bob, make_generation):
    first = make_generation(alice, "Same words")
    second = make_generation(bob, "Same words")
    response = alice_client.get(first.prompt.get_absolute_url())
    assert set(card_ids(response)) == {str(first.pk), str(second.pk)}


def test_the_simulator_banner_shows_when_there_is_no_key(alice_client, settings):
    settings.APIFRAME_SIMULATED = True
    assert "built-in Apiframe simulator" in alice_client.get(reverse("studio")).content.decode()
    settings.APIFRAME_SIMULATED = False
    assert "built-in Apiframe simulator" not in alice_client.get(reverse("studio")).content.decode()


def test_an_update_to_my_own_clip_refreshes_my_usage(alice_client, team_clips):
    since = timezone.now().isoformat()
    Generation.objects.filter(pk=team_clips[0].pk).update(
        updated_at=timezone.now() + timedelta(seconds=1)
    )
    response = live_update(alice_client, since)
    assert attributes(response, "member-usage")["hx-swap-oob"] == "true"


def test_an_update_to_a_teammates_clip_does_not(alice_client, team_clips):
    since = timezone.now().isoformat()
    Generation.objects.filter(pk=team_clips[1].pk).update(
        updated_at=timezone.now() + timedelta(seconds=1)
    )
    html = live_update(alice_client, since).content.decode()
    assert 'id="gen-' in html and 'id="member-usage"' not in html
