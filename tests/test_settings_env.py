"""Yes/no settings from the environment: a value the studio does not know stops it at start,
rather than quietly meaning "no" (DEBUG=ture, SECURE_SSL_REDIRECT=flase)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from hailuo_site.settings import env_bool


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "on", " on "])
def test_a_yes_reads_as_true(monkeypatch, value):
    monkeypatch.setenv("STUDIO_FLAG", value)
    assert env_bool("STUDIO_FLAG") is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "Off"])
def test_a_no_reads_as_false(monkeypatch, value):
    monkeypatch.setenv("STUDIO_FLAG", value)
    assert env_bool("STUDIO_FLAG", default=True) is False


@pytest.mark.parametrize("default", [True, False])
def test_unset_or_empty_is_the_default(monkeypatch, default):
    monkeypatch.delenv("STUDIO_FLAG", raising=False)
    assert env_bool("STUDIO_FLAG", default) is default
    monkeypatch.setenv("STUDIO_FLAG", "")
    assert env_bool("STUDIO_FLAG", default) is default


@pytest.mark.parametrize("value", ["ture", "flase", "2", "enabled", "y", " "])
def test_anything_else_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("STUDIO_FLAG", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_bool("STUDIO_FLAG", default=True)
    message = str(refused.value)
    assert f"STUDIO_FLAG={value!r}" in message
    assert "1/0, true/false, yes/no or on/off" in message
