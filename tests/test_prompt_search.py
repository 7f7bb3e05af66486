"""Searching prompts: every word typed, in any order, each as the start of a word, through the
database's own full-text engine (SQLite FTS5, PostgreSQL tsvector), in the gallery and in the
prompt library. Whatever is typed is words to find, never the engine's query syntax."""

from datetime import timedelta
from urllib.parse import quote_plus

import pytest
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation, Prompt
from generations.models.search import MAX_WORDS, search_words

HTMX = {"HTTP_HX_REQUEST": "true"}
NEON_CAR = "A vintage car driving through a rainy neon city at night"
LIGHTHOUSE = "A lighthouse on a cliff at dusk, slow push-in"
CAFE = "Café terrace in Paris, 35mm film grain"


def card_ids(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('id="gen-')[1:]]


@pytest.fixture
def clips(alice, bob, make_generation) -> dict[str, Generation]:
    return {
        "neon car": make_generation(alice, NEON_CAR, "completed"),
        "lighthouse": make_generation(bob, LIGHTHOUSE, "completed"),
        "cafe": make_generation(bob, CAFE, "failed"),
    }


def found(client, query: str) -> set[str]:
    response = client.get(reverse("gallery"), {"q": query}, **HTMX)
    assert response.status_code == 200
    return set(card_ids(response))


def ids(clips: dict[str, Generation], *names: str) -> set[str]:
    return {str(clips[name].pk) for name in names}


@pytest.mark.parametrize(
    "query, expected",
    [
        ("neon car", ["neon car"]),  # both words, in another order than the prompt's
        ("car neon", ["neon car"]),
        ("night vintage rainy", ["neon car"]),
        ("vint driv", ["neon car"]),  # each word as a prefix
        ("NEON Car", ["neon car"]),  # case folded
        ("a", ["neon car", "lighthouse"]),  # "a" and "at": prefixes of words in both
        ("at", ["neon car", "lighthouse"]),
        ("push-in", ["lighthouse"]),  # the hyphen separates words, in the text and the query
        ("push in", ["lighthouse"]),
        ("35mm", ["cafe"]),
        ("café", ["cafe"]),
        ("CAFÉ paris", ["cafe"]),
    ],
)
def test_it_finds_every_word_in_any_order_each_as_a_prefix(alice_client, clips, query, expected):
    assert found(alice_client, query) == ids(clips, *expected)


@pytest.mark.parametrize(
    "query",
    [
        "neon boat",  # every word must be there
        "ar",  # a word's start, not its middle ("car")
        "cars",  # longer than the word
        "lighthouse car",  # each word in another prompt, not both in one
        "zebra",
    ],
)
def test_it_finds_nothing_when_a_word_is_missing(alice_client, clips, query):
    assert found(alice_client, query) == set()


@pytest.mark.parametrize(
    "query, expected",
    [
        ('"neon', ["neon car"]),  # an unbalanced quote
        ('neon" car', ["neon car"]),
        ("neon' car", ["neon car"]),
        ("neon OR boat", []),  # OR is a word to find, not an operator
        ("NOT car", []),
        ("neon AND", []),
        ("neon -car", ["neon car"]),  # no exclusion either
        ("NEAR(neon car)", []),
        ("neon*", ["neon car"]),
        ("*", ["neon car", "lighthouse", "cafe"]),  # no words: narrows nothing
        ("car:*", ["neon car"]),
        ("neon & !car | (boat)", []),
        ("text:neon", []),  # no column filter: "text" is a word
        ("^neon", ["neon car"]),
        ("neon\\", ["neon car"]),
        ("{neon}", ["neon car"]),
        ("neon_car", ["neon car"]),
        ("' OR 1=1 --", []),
        ('"><script>alert(1)</script>', []),
        ("١٢", []),  # other digits are words too
        ("x² 𝔘 ǅ", []),  # letters and digits of every kind are words to find
        ("🙂 neon", ["neon car"]),  # a pictograph is no word
    ],
)
def test_query_syntax_in_what_is_typed_is_only_words(alice_client, clips, query, expected):
    assert found(alice_client, query) == ids(clips, *expected)


@pytest.mark.parametrize(
    "query",
    [quote_plus(q) for q in ("neon " * 40, "n" * 200, "a b c d e f g h i j k l m n o p " * 6,
                             "\x00", "neon\x00car", "x" * 5_000, "%ff%fe")]
    + ["%ED%A0%80", "%ff%fe%ED%A0%80neon", "neon%00car"],  # not UTF-8, a NUL: as sent raw
)  # fmt: skip
def test_a_long_or_hostile_query_never_fails(alice_client, clips, query):
    for url in (reverse("gallery"), reverse("studio"), reverse("prompt_library")):
        response = alice_client.get(f"{url}?q={query}", **HTMX)
        assert response.status_code < 500, (url, query)


def test_a_query_is_at_most_a_dozen_distinct_words():
    query = " ".join(f"w{n}" for n in range(40))
    assert search_words(query) == [f"w{n}" for n in range(MAX_WORDS)]
    assert search_words("Neon neon NEON car") == ["neon", "car"]
    assert search_words("-- ' \" * ( ) : ^") == []


def test_a_query_of_up_to_200_characters_is_searched(alice_client, clips):
    query = "neon car " + "vintage " * 23  # 193 characters, one distinct word repeated
    assert len(query) <= 200
    assert found(alice_client, query) == ids(clips, "neon car")


def test_the_prompt_library_searches_the_same_way(alice_client, clips):
    html = alice_client.get(reverse("prompt_library"), {"q": "city vint"}).content.decode()
    assert NEON_CAR in html and LIGHTHOUSE not in html and "Café terrace" not in html
    html = alice_client.get(reverse("prompt_library"), {"q": "neon OR dusk"}).content.decode()
    assert NEON_CAR not in html and LIGHTHOUSE not in html


def test_the_querysets_search_alike(clips):
    assert set(Prompt.objects.search("rainy car")) == {clips["neon car"].prompt}
    assert set(Prompt.objects.search("")) == {clip.prompt for clip in clips.values()}
    generations = Generation.objects.matching(user=clips["neon car"].owner, q="dusk slow")
    assert list(generations) == [clips["lighthouse"]]


@pytest.fixture(params=["through its prompts", "walking the gallery"])
def way(request, monkeypatch):
    """A search finding few clips reads them through their prompts; one finding many walks the
    gallery newest first (FEW_CLIPS decides): both ways must find the same, in the same order."""
    if request.param == "walking the gallery":
        monkeypatch.setattr("generations.models.generations.FEW_CLIPS", 0)
    return request.param


def test_either_way_of_reading_a_search_finds_the_same_pages(
    alice_client, alice, bob, make_generation, way
):
    start = timezone.now()
    subjects = ["Neon car at night", "A neon sign", "Car wash"]
    made = [make_generation(bob if n % 5 == 0 else alice, f"{subjects[n % 3]} take {n}",
                            "completed", created_at=start - timedelta(seconds=n))
            for n in range(60)]  # fmt: skip
    first = alice_client.get(reverse("gallery"), {"q": "car neon"}, **HTMX)
    expected = [str(g.pk) for g in made if "Neon car" in g.prompt.text]
    assert card_ids(first) == expected[:24]  # 20 of them, newest first
    mine = alice_client.get(reverse("gallery"), {"q": "neon", "who": "mine"}, **HTMX)
    expected_mine = [str(g.pk) for g in made if "eon" in g.prompt.text and g.owner == alice]
    assert card_ids(mine) == expected_mine[:24]
    cursor = Generation.objects.get(pk=expected_mine[23]).cursor
    rest = alice_client.get(
        reverse("gallery"), {"q": "neon", "who": "mine", "before": cursor}, **HTMX
    )
    assert card_ids(mine)[:24] + card_ids(rest) == expected_mine


def test_a_search_no_prompt_holds_reads_no_clip(alice_client, clips, django_assert_num_queries):
    alice_client.get(reverse("gallery"), {"q": "zebra"}, **HTMX)
    # The session, the member, the prompts found (none), whether clips are on their way.
    with django_assert_num_queries(4):
        response = alice_client.get(reverse("gallery"), {"q": "zebra"}, **HTMX)
    assert card_ids(response) == [] and "No clips match these filters" in response.content.decode()
