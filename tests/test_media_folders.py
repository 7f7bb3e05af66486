"""The media view serves clips, posters and first frames, and nothing else on the disk, however the
address is spelled."""

import pytest


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    for folder in ("clips", "posters", "first-frames"):
        (root / folder).mkdir(parents=True)
    (root / "clips" / "a.mp4").write_bytes(b"clip")
    (root / "secret.txt").write_text("media root")
    (tmp_path / "outside.txt").write_text("outside")
    (root / "posters" / "link.jpg").symlink_to(tmp_path / "outside.txt")
    settings.MEDIA_ROOT = root
    return root


def test_it_serves_from_a_folder_that_is_a_link_to_another_disk(alice_client, media, tmp_path):
    (tmp_path / "big-disk").mkdir()
    (tmp_path / "big-disk" / "b.jpg").write_bytes(b"poster")
    (media / "posters" / "link.jpg").unlink()
    (media / "posters").rmdir()
    (media / "posters").symlink_to(tmp_path / "big-disk")
    assert alice_client.get("/media/posters/b.jpg").status_code == 200


def test_it_serves_a_clip(alice_client, media):
    response = alice_client.get("/media/clips/a.mp4")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"clip"
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/media/secret.txt",
        "/media/clips/../secret.txt",
        "/media/clips/%2e%2e/secret.txt",
        "/media/clips/%2E%2E/%2E%2E/outside.txt",
        "/media/clips/..%2fsecret.txt",
        "/media/clips/..%5csecret.txt",
        "/media//etc/passwd",
        "/media/clips//etc/passwd",
        "/media/%2fetc/passwd",
        "/media/clips/a.mp4%00.txt",
        "/media/clips/",
        "/media/posters/link.jpg",  # a link pointing out of the media folder
    ],
)
def test_it_serves_nothing_outside_its_folders(alice_client, media, path):
    response = alice_client.get(path)
    assert response.status_code == 404, path
