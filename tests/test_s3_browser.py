"""A studio whose media is in an S3 bucket (SeaweedFS, started by the suite), set up from the
environment alone as the README says: a clip made end to end (the simulator, the cluster,
gunicorn) is kept in the bucket, played in Chromium with seeking, then deleted, and the bucket
holds nothing of it afterwards."""

import time

import pytest
from playwright.sync_api import Response, expect

from generations.models.generations import UNDO_SECONDS
from tests.browsers import card_for, log_in
from tests.fixtures import picture
from tests.running_studio import RunningStudio

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROMPT = "A harbour at dawn, fishing boats leaving, slow pan"


@pytest.fixture(scope="module")
def bucket(s3_server):
    return s3_server.new_bucket()


@pytest.fixture(scope="module")
def studio(tmp_path_factory, bucket):
    running = RunningStudio(
        tmp_path_factory.mktemp("studio-on-s3"),
        job_seconds=3,
        render="cached",
        extra_env={**bucket.env(), "EXPECTED_JOB_SECONDS": "3"},
    ).start()
    running.add_member("alice")
    yield running
    running.stop()


def test_a_clip_on_s3_is_made_played_with_seeking_and_deleted_without_a_trace(
    pages, studio, bucket, tmp_path
):
    alice = log_in(pages.open(), studio, "alice")
    clip_answers: list[Response] = []
    alice.on("response", lambda r: clip_answers.append(r) if "/media/clips/" in r.url else None)
    image = tmp_path / "harbour.png"
    image.write_bytes(picture((1024, 576)))
    alice.get_by_label("Prompt", exact=True).fill(PROMPT)
    alice.locator("#id_image").set_input_files(str(image))
    alice.get_by_role("button", name="Generate").click()

    card = card_for(alice, PROMPT)
    expect(card.locator("video")).to_be_attached(timeout=60_000)
    expect(card.locator("[data-play] img")).to_be_visible(timeout=20_000)
    kept = bucket.object_names()
    assert [name.split("/")[0] for name in kept] == ["clips", "first-frames", "posters"], kept
    assert not [path for path in (studio.folder / "media").rglob("*") if path.is_file()]

    card.get_by_role("button", name="Play the clip").click()
    video = card.locator("video").element_handle()
    alice.wait_for_function("v => v.readyState >= 2 && v.currentTime > 0", arg=video)
    # Seek to two thirds in: the player may jump only if the studio answers ranges.
    assert video.evaluate("v => v.seekable.length && v.seekable.end(0)") == pytest.approx(6, 0.1)
    video.evaluate("v => { v.pause(); v.currentTime = 4; }")
    alice.wait_for_function("v => !v.seeking && v.readyState >= 2", arg=video)
    assert video.evaluate("v => v.currentTime") == pytest.approx(4, abs=0.1)
    # Every answer the player got was a range, streamed from the bucket.
    assert clip_answers and all(answer.status == 206 for answer in clip_answers), clip_answers

    card.get_by_label("More actions").click()
    card.get_by_role("button", name="Delete").click()
    expect(card_for(alice, PROMPT).locator("video")).to_have_count(0)
    # The files stay for the few seconds of the undo, then go from the bucket.
    deadline = time.monotonic() + UNDO_SECONDS + 30
    while bucket.object_names() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert bucket.object_names() == [], f"still in the bucket {UNDO_SECONDS + 30} s after"
