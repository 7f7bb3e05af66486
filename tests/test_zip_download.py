""" "Download selected" and "Download board" stream one ZIP: each clip's MP4 (stored, named from
its prompt and id, names unique), and clips.csv with prompt, author, settings, created and the
credits the studio's one money rule gives."""

import csv
import io
import uuid
import zipfile

import pytest
from django.test import Client

from generations.models import Board
from tests.clip_files import clip_bytes, stored_clip


def unzip(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response.streaming, "the ZIP must stream, not be built first"
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def manifest(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read("clips.csv").decode("utf-8-sig"))))


@pytest.fixture
def clips(alice, bob, make_generation):
    return [
        stored_clip(make_generation, alice, "A red fox in fresh snow", size=5000, credit_cost=7),
        stored_clip(
            make_generation,
            bob,
            "Neon city at night, rain",
            size=7000,
            resolution="1080p",
            prompt_optimizer=False,
            first_frame_url="https://example.com/frame.png",
            estimated_credits=9,
            settled_at=None,
        ),
    ]


def test_selected_clips_come_as_one_zip_with_a_manifest(alice_client, alice, bob, clips):
    fox, city = clips
    response = alice_client.post("/selection/download/", {"ids": [str(fox.pk), str(city.pk)]})
    assert response["Content-Disposition"] == 'attachment; filename="hailuo-2-clips.zip"'
    archive = unzip(response)
    assert archive.testzip() is None
    names = archive.namelist()
    assert names == [fox.download_name, city.download_name, "clips.csv"]
    assert fox.download_name == f"a-red-fox-in-fresh-snow-{str(fox.pk)[:8]}.mp4"
    assert archive.read(fox.download_name) == clip_bytes(str(fox.pk), 5000)
    assert archive.read(city.download_name) == clip_bytes(str(city.pk), 7000)
    # MP4 doesn't compress: stored as it is.
    assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    rows = manifest(archive)
    assert rows[0] == {
        "file": fox.download_name,
        "id": str(fox.pk),
        "prompt": "A red fox in fresh snow",
        "author": "alice",
        "resolution": "768p",
        "duration_seconds": "6",
        "prompt_optimizer": "on",
        "first_frame": "none",
        "created": rows[0]["created"],
        "credits": "7",  # what Apiframe billed
        "note": "",
    }
    assert rows[0]["created"].startswith(fox.created_at.strftime("%Y-%m-%d"))
    assert rows[1]["author"] == "bob"
    assert rows[1]["resolution"] == "1080p" and rows[1]["prompt_optimizer"] == "off"
    assert rows[1]["first_frame"] == "https://example.com/frame.png"
    assert rows[1]["credits"] == "9"  # the reservation, while Apiframe may still bill


def test_ids_may_come_by_get_too_and_in_one_comma_separated_value(alice_client, clips):
    fox, city = clips
    archive = unzip(alice_client.get("/selection/download/", {"ids": f"{city.pk},{fox.pk}"}))
    assert archive.namelist() == [city.download_name, fox.download_name, "clips.csv"]


def test_two_clips_of_one_prompt_and_id_prefix_get_different_names(
    alice_client, alice, make_generation
):
    first = uuid.UUID("12345678-0000-4000-8000-000000000001")
    second = uuid.UUID("12345678-0000-4000-8000-000000000002")
    one = stored_clip(make_generation, alice, "Same words", id=first)
    two = stored_clip(make_generation, alice, "Same words", id=second)
    archive = unzip(alice_client.post("/selection/download/", {"ids": [one.pk, two.pk]}))
    assert archive.namelist() == [
        "same-words-12345678.mp4",
        "same-words-12345678-2.mp4",
        "clips.csv",
    ]
    assert [row["file"] for row in manifest(archive)] == archive.namelist()[:2]
    assert archive.read("same-words-12345678-2.mp4") == clip_bytes(str(second), 4096)


def test_a_board_downloads_in_its_order(alice, alice_client, clips, make_generation):
    fox, city = clips
    board = Board.make(name="Client picks", by=alice)
    board.add([fox.pk, city.pk], by=alice)
    board.set_order(Board.Order.MANUAL)
    response = alice_client.get(f"/boards/{board.pk}/download/")
    assert response["Content-Disposition"] == f'attachment; filename="client-picks-{board.pk}.zip"'
    archive = unzip(response)
    assert archive.namelist() == [fox.download_name, city.download_name, "clips.csv"]
    board.move(city.pk, -1)
    archive = unzip(alice_client.get(f"/boards/{board.pk}/download/"))
    assert archive.namelist() == [city.download_name, fox.download_name, "clips.csv"]


def test_a_cell_a_spreadsheet_would_run_is_defused(alice, alice_client, make_generation):
    clip = stored_clip(make_generation, alice, '=HYPERLINK("http://evil","x")')
    (row,) = manifest(unzip(alice_client.post("/selection/download/", {"ids": [clip.pk]})))
    assert row["prompt"] == '\'=HYPERLINK("http://evil","x")'


def test_the_post_needs_the_csrf_token(alice, clips):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/selection/download/", {"ids": [clips[0].pk]}).status_code == 403


def test_the_bulk_bar_and_the_board_page_offer_the_downloads(alice, alice_client, clips):
    board = Board.make(name="Picks", by=alice)
    board.add([clips[0].pk], by=alice)
    page = alice_client.get(board.get_absolute_url()).content.decode()
    assert f'href="/boards/{board.pk}/download/"' in page and "Download board" in page
    assert 'formaction="/selection/download/"' in page
