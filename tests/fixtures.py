"""The studio's test personas and factories (loaded as a pytest plugin from pyproject.toml)."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def isolated_files(settings, tmp_path):
    """Media in a fresh folder, static files without a collectstatic manifest, quick passwords."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str, **extra):
        return django_user_model.objects.create_user(username=username, password=PASSWORD, **extra)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def staff(make_user):
    return make_user("sam", is_staff=True, is_superuser=True)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice) -> Client:
    return logged_in(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return logged_in(bob)


@pytest.fixture
def staff_client(staff) -> Client:
    return logged_in(staff)


def picture(size=(800, 600), fmt="PNG") -> bytes:
    """A small but non-trivial picture: a gradient with shapes, so frames can be compared."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.2, height * 0.2, width * 0.5, height * 0.6), fill=(230, 80, 40))
    draw.rectangle((width * 0.6, height * 0.5, width * 0.9, height * 0.9), fill=(30, 160, 90))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def make_generation(db):
    from generations.models import Generation, Prompt

    def make(owner, prompt="A lighthouse in a storm, waves crashing", status="waiting", **fields):
        prompt_obj = Prompt.record_use(prompt, owner)
        fields.setdefault("created_at", timezone.now())
        if status in ("submitted", "processing", "completed"):
            fields.setdefault(
                "job_id", fields.get("job_id", "00000000-0000-4000-8000-000000000000")
            )
            fields.setdefault("submitted_at", fields["created_at"] + timedelta(seconds=1))
        if status in ("completed", "failed", "cancelled"):
            fields.setdefault("settled_at", fields["created_at"] + timedelta(seconds=2))
        if status == "completed":
            fields.setdefault("video", "clips/example.mp4")
            fields.setdefault("poster", "posters/example.jpg")
            fields.setdefault("progress", 100)
        return Generation.objects.create(owner=owner, prompt=prompt_obj, status=status, **fields)

    return make
