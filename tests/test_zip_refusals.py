"""A ZIP asked for with nothing selected, or with clips the member cannot see: the clips that can
go in do, and clips.csv names each one left out and why; when none can, the member is told so in
words, where they were, and nothing breaks (unknown or malformed ids never answer 500)."""

import csv
import io
import uuid
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from generations.models import Board
from generations.zips import MAX_IDS, NOTHING_SELECTED
from tests.clip_files import stored_clip


def manifest(response) -> list[dict[str, str]]:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return list(csv.DictReader(io.StringIO(archive.read("clips.csv").decode("utf-8-sig"))))


def said(response) -> list[str]:
    """What this response told the member (the redirect is not followed, so the messages of the
    requests before it are still in the cookie: the last one is this one's)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1:]


@pytest.fixture
def fox(alice, make_generation):
    return stored_clip(make_generation, alice, "A red fox in fresh snow")


def test_hidden_and_unknown_ids_are_skipped_and_named_in_the_manifest(
    alice, alice_client, fox, make_generation
):
    deleted = stored_clip(make_generation, alice, "Deleted one", deleted_at=timezone.now())
    running = make_generation(alice, "Still running", status="processing")
    unknown = uuid.uuid4()
    ids = [str(fox.pk), str(deleted.pk), str(running.pk), str(unknown), "not-a-clip"]
    response = alice_client.post("/selection/download/", {"ids": ids})
    assert response.status_code == 200
    rows = manifest(response)
    assert [row["file"] for row in rows] == [fox.download_name, "", "", "", ""]
    by_id = {row["id"]: row for row in rows}
    assert by_id[str(running.pk)]["note"] == "not in the ZIP: not finished (Generating)"
    assert by_id[str(running.pk)]["prompt"] == "Still running"
    for gone in (str(deleted.pk), str(unknown), "not-a-clip"):
        assert by_id[gone]["note"].startswith("not in the ZIP: no such clip in the gallery")
        assert by_id[gone]["prompt"] == ""  # nothing of a deleted clip is told
    assert "Deleted one" not in str(rows)


def test_nothing_selected_is_told_in_words_on_the_page_it_came_from(alice_client):
    for response in (
        alice_client.post("/selection/download/", {}, HTTP_REFERER="http://testserver/boards/"),
        alice_client.get("/selection/download/?ids=", HTTP_REFERER="http://testserver/boards/"),
    ):
        assert response.status_code == 302 and response["Location"] == "http://testserver/boards/"
        assert said(response) == [NOTHING_SELECTED]


def test_a_referer_elsewhere_is_not_followed(alice_client):
    response = alice_client.post("/selection/download/", HTTP_REFERER="https://evil.example/")
    assert response["Location"] == "/"


def test_when_no_selected_clip_can_go_in_the_member_is_told_why(
    alice, alice_client, make_generation
):
    running = make_generation(alice, "Still running", status="processing")
    ids = [str(running.pk), str(uuid.uuid4()), "1 OR 1=1"]
    response = alice_client.post("/selection/download/", {"ids": ids})
    assert response.status_code == 302
    assert said(response) == [
        "None of the selected clips can be downloaded: 1 is not finished yet and "
        "2 are no longer in the gallery."
    ]


def test_with_htmx_the_reason_goes_to_the_notice_and_the_page_stays(alice_client):
    response = alice_client.post("/selection/download/", {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Reswap"] == "none"
    assert NOTHING_SELECTED in response.content.decode()


def test_too_many_ids_are_refused_in_words(alice_client):
    ids = ",".join(str(uuid.uuid4()) for _ in range(MAX_IDS + 1))
    response = alice_client.post("/selection/download/", {"ids": ids})
    assert said(response) == ["A ZIP holds at most 1,000 clips: select fewer."]


def test_a_board_without_a_finished_clip_says_so(alice, alice_client, make_generation):
    board = Board.make(name="Empty for now", by=alice)
    response = alice_client.get(f"/boards/{board.pk}/download/")
    assert response.status_code == 302 and response["Location"] == board.get_absolute_url()
    assert said(response) == ["The board “Empty for now” has no clips to download yet."]
    board.add([make_generation(alice, "Still running", status="processing").pk], by=alice)
    response = alice_client.get(f"/boards/{board.pk}/download/")
    assert said(response) == [
        "None of the clips on the board “Empty for now” can be downloaded: 1 is not finished yet."
    ]


def test_an_unknown_board_is_a_404(alice_client):
    assert alice_client.get("/boards/999999/download/").status_code == 404
