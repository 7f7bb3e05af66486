"""The studio's own "not found" and "server error" pages: its header and a way back. The 500 page
is rendered with no request at all, so it must need nothing that can fail (no database, no user,
no URLconf)."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.urls import include, path


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


# The studio's URLs, plus one view that fails (used by the 500 test through pytest.mark.urls).
urlpatterns = [path("broken/", broken_view), path("", include("hailuo_site.urls"))]


def test_an_unknown_address_shows_the_studios_not_found_page(alice_client):
    response = alice_client.get("/clips/no-such-clip/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "There's no page here" in page
    assert "<code>/clips/no-such-clip/</code>" in page
    assert '<a class="button primary" href="/">Back to the studio</a>' in page
    assert 'class="topbar"' in page and "alice" in page  # the studio's header, her menu


@pytest.mark.urls(__name__)
def test_a_failing_view_shows_the_studios_error_page(alice_client, settings):
    settings.DEBUG = False
    alice_client.raise_request_exception = False
    response = alice_client.get("/broken/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on the studio's side" in page
    assert '<a class="button primary" href="/">Back to the studio</a>' in page
    assert 'class="topbar"' in page and "css/studio.css" in page


def test_the_error_page_renders_without_a_request_or_a_database():
    # No `db` fixture: pytest-django refuses any query, so one would fail this test.
    page = loader.get_template("500.html").render()
    assert "Something went wrong on the studio's side" in page
    assert "Hailuo Studio" in page and 'href="/"' in page
