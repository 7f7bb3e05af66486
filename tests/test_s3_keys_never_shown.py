"""The bucket's secret key never appears in an error page or mail, even from a crash inside boto3
while it holds the key in its variables."""

import pytest
from django.test import Client

SECRET = "CANARY-s3-secret-5d0c9e1f7a"


@pytest.fixture
def s3_crashing_with_the_key(monkeypatch, settings):
    """Media in a bucket whose keys come from the environment, and boto3 crashing as it takes
    them (botocore's Session.set_credentials is called with the secret in hand)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "studio")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "generations.s3_storage.S3MediaStorage",
            "OPTIONS": {"bucket_name": "media", "endpoint_url": "http://127.0.0.1:9"},
        },
    }

    def crash(*args, **kwargs):
        raise RuntimeError("no credentials today")

    monkeypatch.setattr("botocore.session.Session.set_credentials", crash)


def test_the_debug_page_of_a_crash_inside_boto3_hides_the_secret_key(
    s3_crashing_with_the_key, settings, alice
):
    settings.DEBUG = True  # the page shows every frame's variables
    browser = Client(raise_request_exception=False)
    browser.force_login(alice)

    page = browser.get("/media/clips/a.mp4").content.decode()

    assert "set_credentials" in page and "aws_secret_access_key" in page  # the frames are there
    assert SECRET not in page and "CANARY" not in page
