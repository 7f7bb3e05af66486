"""`manage.py check --deploy` finds nothing to fix when the studio is configured for production."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def deploy_check(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APIFRAME_", "DJANGO_", "DEBUG", "SECURE_", "DATABASE_URL"))
    }
    env |= {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "studio.example.com",
        "PUBLIC_URL": "https://studio.example.com",
        "STUDIO_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "hailuo_site.settings",
        **overrides,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_it_is_clean_under_production_settings(tmp_path):
    result = deploy_check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "overrides, warning",
    [
        ({"DEBUG": "1"}, "security.W018"),  # debug pages on a shared server
        ({"PUBLIC_URL": "http://studio.example.com"}, "security.W004"),  # no https, no HSTS
        ({"SECRET_KEY": "short"}, "security.W009"),
    ],
)
def test_it_flags_what_would_be_unsafe(tmp_path, overrides, warning):
    result = deploy_check(tmp_path, **overrides)
    assert result.returncode != 0
    assert warning in result.stderr
