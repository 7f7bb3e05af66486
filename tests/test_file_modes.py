"""The studio's files are its own: the database (with its WAL), the secrets and the media can't be
read by other users of the machine, on a fresh install and on one made before this was so."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Run while the database is open, so its -wal and -shm files exist: writes a row and a media file.
WRITE_AND_REPORT = """
import json, os, stat
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
User.objects.create_user("alice")
default_storage.save("posters/upload.jpg", ContentFile(b"jpeg"))
name = settings.DATABASES["default"]["NAME"]
print(json.dumps({
    suffix: stat.S_IMODE(os.stat(f"{name}{suffix}").st_mode)
    for suffix in ("-wal", "-shm") if os.path.exists(f"{name}{suffix}")
}))
"""


def manage(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process on `folder`'s SQLite studio, under a typical shell's umask."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SIMULATOR_API_KEY"}
        and not key.startswith("DJANGO_")
    }
    env |= {
        "STUDIO_VAR_DIR": str(folder),
        "MEDIA_ROOT": str(folder / "media"),
        "STATIC_ROOT": str(folder.parent / f"{folder.name}-static"),
        "DJANGO_SETTINGS_MODULE": "hailuo_site.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, umask=0o022,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """A studio folder made by `migrate`, then used: (the folder, modes of the open db's WAL)."""
    folder = tmp_path_factory.mktemp("install") / "var"
    manage(folder, "migrate", "--verbosity=0")
    report = manage(folder, "shell", "--no-imports", "-c", WRITE_AND_REPORT).stdout
    wal_modes = json.loads(report.strip().splitlines()[-1])
    return folder, wal_modes


def test_it_keeps_a_new_studio_folder_to_itself(installed):
    folder, wal_modes = installed
    assert mode(folder) == 0o700
    assert mode(folder / "db.sqlite3") == 0o600
    assert wal_modes == {"-wal": 0o600, "-shm": 0o600}
    assert mode(folder / "secret_key") == 0o600
    assert mode(folder / "simulator_api_key") == 0o600


def test_it_keeps_stored_media_to_itself(installed):
    media = installed[0] / "media"
    assert mode(media / "posters" / "upload.jpg") == 0o600
    assert mode(media / "posters") == 0o700
    assert mode(media) == 0o700


def test_prepare_studio_tightens_a_folder_made_before(installed, tmp_path):
    folder = tmp_path / "var"
    shutil.copytree(installed[0], folder)
    # How an older studio left it: the defaults of a 022 umask and of FILE_UPLOAD_PERMISSIONS.
    loose = [folder, folder / "media", folder / "media" / "posters"]
    for path in loose:
        path.chmod(0o755)
    for path in (folder / "db.sqlite3", folder / "media" / "posters" / "upload.jpg"):
        path.chmod(0o644)
        loose.append(path)
    outside = tmp_path / "not-the-studios.txt"
    outside.write_text("someone else's")
    outside.chmod(0o644)
    (folder / "media" / "posters" / "link.jpg").symlink_to(outside)

    manage(folder, "prepare_studio")

    assert {path.name: oct(mode(path)) for path in loose} == {
        path.name: oct(0o700 if path.is_dir() else 0o600) for path in loose
    }
    assert mode(outside) == 0o644  # a link in the media tree is not followed
