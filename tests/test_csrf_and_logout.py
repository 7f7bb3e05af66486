"""Every form post needs the page's CSRF token, on every URL but Apiframe's signed webhook; logging
out is a post too, so a link or an image on another site can't log a member out."""

import pytest
from django.test import Client
from django.urls import reverse

from generations.models import Generation
from tests.url_walk import every_page

CSRF_EXEMPT = {"apiframe_webhook"}


@pytest.fixture
def clip(alice, make_generation) -> Generation:
    return make_generation(alice, "A snow globe city", "failed", failure_reason="Outage.")


@pytest.fixture
def strict_client(alice) -> Client:
    """Alice's browser, with CSRF checks on as in production."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def csrf_refused(response) -> bool:
    return response.status_code == 403 and b"CSRF verification failed" in response.content


def test_it_refuses_a_post_without_the_token_everywhere(strict_client, clip):
    pages = every_page(clip)
    for page in pages:
        response = strict_client.post(page.url, {"prompt": "x"})
        if page.name in CSRF_EXEMPT:
            assert not csrf_refused(response), page
        else:
            assert csrf_refused(response), (page, response.status_code)
    assert Generation.objects.get().deleted_at is None and Generation.objects.count() == 1


def test_it_refuses_a_login_without_the_token(alice):
    response = Client(enforce_csrf_checks=True).post(
        reverse("login"), {"username": "alice", "password": "correct horse battery staple"}
    )
    assert csrf_refused(response)


def test_it_accepts_a_post_with_the_token(strict_client, clip):
    strict_client.get(reverse("studio"))  # the page sets the CSRF cookie
    token = strict_client.cookies["csrftoken"].value
    response = strict_client.post(
        reverse("generation_delete", args=[clip.pk]), HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 302
    assert Generation.objects.get().deleted_at is not None


def test_it_refuses_a_token_from_another_session(strict_client, bob, clip):
    other = Client(enforce_csrf_checks=True)
    other.force_login(bob)
    other.get(reverse("studio"))
    strict_client.get(reverse("studio"))
    bobs_token = other.cookies["csrftoken"].value
    response = strict_client.post(
        reverse("generation_delete", args=[clip.pk]), HTTP_X_CSRFTOKEN=bobs_token
    )
    assert csrf_refused(response)


def test_it_logs_out_only_by_post(alice_client):
    assert alice_client.get(reverse("logout")).status_code == 405
    assert alice_client.get(reverse("studio")).status_code == 200  # still logged in
    response = alice_client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert alice_client.get(reverse("studio")).status_code == 302  # logged out now


def test_the_logout_button_is_a_form_with_the_token(alice_client):
    html = alice_client.get(reverse("studio")).content.decode()
    start = html.index(f'action="{reverse("logout")}"')
    form = html[html.rindex("<form", 0, start) : html.index("</form>", start)]
    assert 'method="post"' in form and 'name="csrfmiddlewaretoken"' in form
