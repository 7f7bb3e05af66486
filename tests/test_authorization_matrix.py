"""Who may open what, for every URL the project has: walked from the URL resolver, so a page added
tomorrow is checked without anyone remembering to list it here.

Anonymous visitors reach only the login pages and Apiframe's webhook; members reach the studio but
not the admin (nor the staff usage pages); staff reach everything; nobody changes, retries or
deletes a teammate's clip except its author and staff.
"""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from generations.models import Generation
from tests.url_walk import Page, every_page

# Pages a visitor who is not logged in may open.
PUBLIC = {"login", "admin:login", "apiframe_webhook"}
LOGIN_PAGES = ("/accounts/login/", "/admin/login/")


@pytest.fixture
def alices_clip(alice, make_generation) -> Generation:
    return make_generation(alice, "Alice's lighthouse", "failed", failure_reason="Outage.")


@pytest.fixture
def pages(alices_clip) -> list[Page]:
    found = every_page(alices_clip)
    assert len(found) > 60, "the walk missed most of the project's URLs"
    return found


# The admin's autocomplete answers 403, even to staff, when asked without a field to complete.
FORBIDDEN_TO_ALL = {"admin:autocomplete"}


def closed_admin_pages(staff) -> set[str]:
    """Admin pages no one may use, as their ModelAdmin says (django-q2 records its tasks itself;
    budgets and clips are not added or deleted by hand)."""
    request = RequestFactory().get("/admin/")
    request.user = staff
    closed = set()
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        for action in ("add", "delete"):
            if not getattr(model_admin, f"has_{action}_permission")(request):
                closed.add(f"{prefix}_{action}")
    return closed


def goes_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN_PAGES)


def ends_on_login(client: Client, url: str) -> bool:
    """Sent to a login page, at once or through the admin's own redirect (its logout page)."""
    response = client.get(url, follow=True)
    return bool(response.redirect_chain) and response.request["PATH_INFO"] in LOGIN_PAGES


def test_it_walks_the_pages_this_test_relies_on(pages):
    names = {page.name for page in pages}
    assert {"studio", "generation_delete", "admin:index", *PUBLIC} <= names
    assert "password_reset" not in names  # open to anyone; the studio has no mail to send


def test_it_sends_anonymous_visitors_to_log_in_everywhere_else(db, pages):
    client = Client()
    for page in pages:
        response = client.get(page.url)
        if page.name in PUBLIC:
            assert response.status_code in (200, 405), page
        else:
            assert goes_to_login(response), (page, response.status_code)


def test_it_lets_anonymous_visitors_post_nothing_but_a_login_and_a_webhook(db, pages, alices_clip):
    client = Client()
    for page in pages:
        response = client.post(page.url, {"prompt": "x", "username": "x", "password": "y"})
        if page.name in PUBLIC:
            assert not goes_to_login(response), page
        else:
            assert goes_to_login(response), (page, response.status_code)
    assert Generation.objects.get().deleted_at is None and Generation.objects.count() == 1


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_it_opens_the_studio_to_members_but_not_the_admin(request, pages, persona):
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    for page in pages:
        response = client.get(page.url)
        assert response.status_code < 500, (page, response.status_code)
        if page.staff_only and page.name != "admin:login":
            assert ends_on_login(client, page.url) or response.status_code == 403, page
        else:
            assert not goes_to_login(response) and response.status_code != 403, page


def test_it_opens_everything_to_staff(staff, staff_client, pages):
    forbidden_to_all = FORBIDDEN_TO_ALL | closed_admin_pages(staff)
    for page in pages:
        response = staff_client.get(page.url)
        assert response.status_code < 500, (page, response.status_code)
        assert not goes_to_login(response), page
        assert response.status_code != 403 or page.name in forbidden_to_all, page


def test_it_opens_the_usage_pages_to_staff_only(alice_client, staff_client, pages):
    usage = [page for page in pages if page.url.startswith("/admin/usage")]
    if not usage:
        pytest.skip("there are no usage pages in this version of the studio")
    for page in usage:
        assert goes_to_login(alice_client.get(page.url)), page
        assert goes_to_login(alice_client.post(page.url)), page
        assert staff_client.get(page.url).status_code in (200, 405), page  # 405: POST only


@pytest.mark.parametrize("action", ["generation_retry", "generation_delete"])
def test_it_refuses_a_member_changing_a_teammates_clip(bob_client, pages, alices_clip, action):
    (page,) = [page for page in pages if page.name == action]
    before = Generation.objects.values().get(pk=alices_clip.pk)
    assert bob_client.post(page.url).status_code == 403
    assert bob_client.post(page.url, HTTP_HX_REQUEST="true").status_code == 403
    assert Generation.objects.values().get(pk=alices_clip.pk) == before
    assert Generation.objects.count() == 1


def test_it_refuses_a_member_changing_anything_in_the_admin(bob, bob_client, alices_clip):
    change = f"/admin/generations/generation/{alices_clip.pk}/change/"
    assert goes_to_login(bob_client.post(change, {"status": "completed"}))
    delete = f"/admin/generations/generation/{alices_clip.pk}/delete/"
    assert goes_to_login(bob_client.post(delete, {"post": "yes"}))
    promote = f"/admin/auth/user/{bob.pk}/change/"
    assert goes_to_login(bob_client.post(promote, {"is_staff": "on"}))
    bob.refresh_from_db()
    assert not bob.is_staff
    assert Generation.objects.get(pk=alices_clip.pk).deleted_at is None


@pytest.mark.parametrize("action", ["generation_retry", "generation_delete"])
def test_it_lets_the_author_and_staff_change_the_clip(
    alice_client, staff_client, pages, alices_clip, action
):
    (page,) = [page for page in pages if page.name == action]
    assert alice_client.post(page.url).status_code == 302
    if action == "generation_delete":
        assert Generation.objects.get(pk=alices_clip.pk).deleted_at is not None
    else:
        assert Generation.objects.filter(retry_of=alices_clip).count() == 1
        assert staff_client.post(page.url).status_code == 302
        assert Generation.objects.filter(retry_of=alices_clip).count() == 2
