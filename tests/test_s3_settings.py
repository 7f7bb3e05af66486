"""Media moves to an S3 bucket by environment variables alone (django-storages' own names), and
the keys stay in the environment: no setting holds them, so no error page or log can show them."""

import importlib.util
from pathlib import Path
from types import ModuleType

from django.core.files.base import ContentFile
from django.core.files.storage import storages

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "hailuo_site" / "settings.py"


def settings_from(monkeypatch, tmp_path, env: dict[str, str]) -> ModuleType:
    """hailuo_site/settings.py run afresh under `env`, apart from the settings in use."""
    monkeypatch.setenv("STUDIO_VAR_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", SETTINGS_FILE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_a_bucket_media_stays_on_disk(monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    studio = settings_from(monkeypatch, tmp_path, {})

    assert studio.STORAGES["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_bucket_from_the_environment_holds_the_media_and_no_setting_holds_the_keys(
    monkeypatch, tmp_path, s3_server
):
    bucket = s3_server.new_bucket()
    studio = settings_from(monkeypatch, tmp_path, bucket.env())

    assert studio.STORAGES["default"]["BACKEND"] == "generations.s3_storage.S3MediaStorage"
    assert studio.STORAGES["default"]["OPTIONS"] == {
        "bucket_name": bucket.name,
        "endpoint_url": s3_server.endpoint_url,
        "region_name": "us-east-1",
    }
    every_setting = repr({name: getattr(studio, name) for name in dir(studio) if name.isupper()})
    assert s3_server.secret_key not in every_setting
    # The storage those settings make finds its keys in the environment and uses the bucket.
    media = storages.create_storage(studio.STORAGES["default"])
    name = media.save("posters/from-the-environment.jpg", ContentFile(b"a poster"))
    assert bucket.object_names() == [name] and bucket.read(name) == b"a poster"
    assert media.url(name) == "/media/posters/from-the-environment.jpg"
    media.delete(name)
    assert bucket.object_names() == []
