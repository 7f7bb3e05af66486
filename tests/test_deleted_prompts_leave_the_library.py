"""A prompt stays in the team's library only while a visible clip uses it: deleting a clip "for
the whole team" takes its words along, unless a teammate's clip still uses the same prompt."""

from django.urls import reverse


def library(client) -> str:
    return client.get(reverse("prompt_library")).content.decode()


def test_a_deleted_clips_prompt_leaves_the_library(alice, alice_client, make_generation):
    clip = make_generation(alice, "A secret birthday surprise", "completed")
    assert "A secret birthday surprise" in library(alice_client)
    clip.soft_delete(by=alice)
    assert "A secret birthday surprise" not in library(alice_client)
    assert alice_client.get(clip.prompt.get_absolute_url()).status_code == 404
    reuse = alice_client.get(reverse("studio"), {"prompt": clip.prompt_id}).content.decode()
    assert "A secret birthday surprise" not in reuse


def test_it_stays_while_another_visible_clip_uses_it(alice, bob, alice_client, make_generation):
    mine = make_generation(alice, "Fog rolling over a harbour", "completed")
    make_generation(bob, "Fog rolling over a harbour", "completed")
    mine.soft_delete(by=alice)
    assert "Fog rolling over a harbour" in library(alice_client)
    page = alice_client.get(mine.prompt.get_absolute_url())
    assert page.status_code == 200 and len(page.context["prompt"].visible_generations) == 1
