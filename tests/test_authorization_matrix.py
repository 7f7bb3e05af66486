"""Who may open what, for every URL the project has: walked from the URL resolver, so a page added
tomorrow is checked without anyone remembering to list it here.

Anonymous visitors reach only the login pages and Apiframe's webhook; members reach the studio but
not the admin (nor the staff usage pages); staff reach everything; nobody changes, retries or
deletes a teammate's clip except its author and staff.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse

from generations.models import Board, Generation, Star
from tests.url_walk import Page, every_page

# Pages a visitor who is not logged in may open.
PUBLIC = {"login", "admin:login", "apiframe_webhook"}
# Pages for anyone holding a share link (#14): a token that is no link's answers 404, not a login.
SHARED = {"share_page", "share_download", "share_video", "share_poster", "share_clip_download"}
# Pages an invite or a password-reset link opens (#16): a token that is no link's answers 404.
LINKS = {"invite", "password_reset_confirm"}
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
        elif page.name in SHARED | LINKS:
            assert response.status_code == 404, page  # the walk's token is no link's
        else:
            assert goes_to_login(response), (page, response.status_code)


def test_it_lets_anonymous_visitors_post_nothing_but_a_login_and_a_webhook(db, pages, alices_clip):
    client = Client()
    for page in pages:
        response = client.post(page.url, {"prompt": "x", "username": "x", "password": "y"})
        if page.name in PUBLIC | SHARED | LINKS:
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


# Boards, stars and selections (#14): every member's to use, but a board is deleted only by its
# maker or staff, and a clip comes off a board only by whoever added it or staff.
COLLECTION_PAGES = {
    "generation_star", "selection_star", "selection_delete", "boards", "board_create",
    "board_picker", "board_add", "board_detail", "board_edit", "board_order", "board_arrange",
    "board_move", "board_remove", "board_delete",
}  # fmt: skip


@pytest.fixture
def alices_board(alice, alices_clip):
    board = Board.make(name="Alice's board", by=alice)
    board.add([alices_clip.pk], by=alice)
    return board


def board_urls(board) -> list[str]:
    named = ["board_detail", "board_edit", "board_order", "board_arrange", "board_move"]
    named += ["board_remove", "board_delete"]
    return [reverse(name, args=[board.pk]) for name in named]


def test_it_walks_every_collections_page(pages):
    assert {page.name for page in pages} >= COLLECTION_PAGES


def test_anonymous_visitors_reach_no_board_and_change_nothing(db, alices_board, alices_clip):
    client = Client()
    others = [reverse(name) for name in ("boards", "board_picker", "selection_star")]
    for url in [*board_urls(alices_board), *others]:
        assert goes_to_login(client.get(url)), url
        form = {"generation": str(alices_clip.pk), "ids": str(alices_clip.pk), "name": "x"}
        assert goes_to_login(client.post(url, form)), url
    star = reverse("generation_star", args=[alices_clip.pk])
    assert goes_to_login(client.post(star, {"starred": "1"}))
    assert Board.objects.get().name == "Alice's board" and alices_board.items.count() == 1
    assert not Star.objects.exists()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_it_refuses_a_member_deleting_a_teammates_board_or_taking_off_their_clip(
    bob_client, alices_board, alices_clip, htmx
):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    remove = reverse("board_remove", args=[alices_board.pk])
    refused = bob_client.post(remove, {"generation": str(alices_clip.pk)}, **headers)
    assert refused.status_code == (200 if htmx else 403)  # htmx: the words, swapped in place
    assert "Only alice, who added" in refused.content.decode()
    delete = bob_client.post(reverse("board_delete", args=[alices_board.pk]), **headers)
    assert delete.status_code == 403
    assert "Only alice, who made this board, or staff can delete it." in delete.content.decode()
    assert Board.objects.filter(pk=alices_board.pk).exists() and alices_board.items.count() == 1


def test_it_refuses_a_member_deleting_a_teammates_clip_in_bulk(bob_client, alices_clip):
    response = bob_client.post(reverse("selection_delete"), {"ids": str(alices_clip.pk)})
    assert "Left alone 1 clip" in response.content.decode()
    assert Generation.objects.get(pk=alices_clip.pk).deleted_at is None


def test_it_lets_staff_take_off_any_clip_and_delete_any_board(
    staff_client, alices_board, alices_clip
):
    remove = reverse("board_remove", args=[alices_board.pk])
    assert staff_client.post(remove, {"generation": str(alices_clip.pk)}).status_code == 302
    assert staff_client.post(reverse("board_delete", args=[alices_board.pk])).status_code == 302
    assert not Board.objects.exists()
    assert Generation.objects.get(pk=alices_clip.pk).deleted_at is None  # the clip stays


# Share links and ZIPs (#14): a link opens what it shares to anyone, and nothing else; making,
# revoking and downloading as a member need a login; a link is revoked by its maker or staff.
SHARE_PAGES = {
    "download_selected", "board_download", "generation_share", "board_share", "share_revoke",
    "share_review", *SHARED,
}  # fmt: skip


@pytest.fixture
def alices_link(alice, make_generation):
    from generations.models import ShareLink
    from tests.clip_files import stored_clip

    fox = stored_clip(make_generation, alice, "Alice's fox")
    return ShareLink.make(by=alice, generation=fox, expiry_days=30, allow_download=True)


def test_it_walks_every_share_and_download_page(pages):
    assert {page.name for page in pages} >= SHARE_PAGES
    assert [page.staff_only for page in pages if page.name == "share_review"] == [True]


def test_a_share_link_opens_what_it_shares_to_anyone_and_nothing_more(alices_link):
    client, fox, token = Client(), alices_link.generation, alices_link.token
    for url in (f"/s/{token}/", f"/s/{token}/clip/{fox.pk}.mp4", f"/s/{token}/clip/{fox.pk}.jpg",
                f"/s/{token}/clip/{fox.pk}/download/"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    assert client.get(f"/s/{token}/download/").status_code == 404  # a clip's link has no ZIP
    for studio_url in (fox.get_absolute_url(), f"/media/{fox.video.name}", "/",
                       reverse("generation_download", args=[fox.pk])):  # fmt: skip
        assert goes_to_login(client.get(studio_url)), studio_url


def test_anonymous_visitors_share_revoke_or_zip_nothing(db, alices_link, alices_board):
    from generations.models import ShareLink

    client = Client()
    fox = alices_link.generation
    for url in (reverse("generation_share", args=[fox.pk]),
                reverse("board_share", args=[alices_board.pk]),
                reverse("share_revoke", args=[alices_link.pk]),
                reverse("download_selected")):  # fmt: skip
        assert goes_to_login(client.post(url, {"expires": "0", "ids": str(fox.pk)})), url
    assert goes_to_login(client.get(reverse("board_download", args=[alices_board.pk])))
    assert goes_to_login(client.get(reverse("share_review")))
    assert ShareLink.objects.get().revoked_at is None and ShareLink.objects.count() == 1


def test_it_refuses_a_member_revoking_a_teammates_link(bob_client, staff_client, alices_link):
    revoke = reverse("share_revoke", args=[alices_link.pk])
    assert bob_client.post(revoke).status_code == 403
    assert Client().get(f"/s/{alices_link.token}/").status_code == 200
    assert staff_client.post(revoke).status_code == 302
    assert Client().get(f"/s/{alices_link.token}/").status_code == 404


# Spend approval (#16): members ask staff to let their own clip through; only staff approve or
# decline, a member not even their own request.
APPROVAL_PAGES = {"approval_ask", "approval_approve", "approval_decline"}


@pytest.fixture
def alices_request(alice):
    from generations.models import ApprovalRequest, MemberQuota

    MemberQuota.set_for(alice, 0)
    return ApprovalRequest.ask(alice, prompt_text="Alice's heron", resolution="768p", duration=6)[0]


def approval_urls(approval) -> list[str]:
    return [reverse("approval_ask")] + [
        reverse(name, args=[approval.pk]) for name in ("approval_approve", "approval_decline")
    ]


def test_it_walks_every_approval_page_and_knows_the_decisions_are_staffs(pages):
    assert {page.name for page in pages} >= APPROVAL_PAGES
    staff_only = {page.name for page in pages if page.staff_only}
    assert staff_only >= {"approval_approve", "approval_decline"}
    assert "approval_ask" not in staff_only


def test_anonymous_visitors_ask_approve_and_decline_nothing(db, alices_request):
    from generations.models import ApprovalRequest

    client = Client()
    for url in approval_urls(alices_request):
        form = {"prompt": "x", "resolution": "768p", "duration": "6", "reason": "x"}
        assert goes_to_login(client.post(url, form)), url
        assert goes_to_login(client.get(url)), url
    assert ApprovalRequest.objects.get().state == "pending" and ApprovalRequest.objects.count() == 1


@pytest.mark.parametrize("persona", ["alice", "bob"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_member_approves_and_declines_nothing_not_even_their_own(
    request, alices_request, persona, htmx
):
    from generations.models import ApprovalRequest

    client = Client()
    client.force_login(request.getfixturevalue(persona))
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    for name in ("approval_approve", "approval_decline"):
        url = reverse(name, args=[alices_request.pk])
        fields = {"past_team_budget": "on", "reason": "Mine"}
        assert client.post(url, fields, **headers).status_code == 403, url
        assert client.get(url, **headers).status_code == 403, url
    assert ApprovalRequest.objects.get().state == "pending"
    assert not Generation.objects.exists()


def test_staff_approve_and_decline(alice, staff_client, alices_request):
    from generations.models import ApprovalRequest

    url = reverse("approval_approve", args=[alices_request.pk])
    assert staff_client.post(url).status_code == 302
    assert Generation.objects.get().owner == alice
    second = ApprovalRequest.ask(alice, prompt_text="Another", resolution="768p", duration=6)[0]
    decline = reverse("approval_decline", args=[second.pk])
    assert staff_client.post(decline, {"reason": "Enough for this month"}).status_code == 302
    assert ApprovalRequest.objects.get(pk=second.pk).state == "declined"


# The team (#16): the team page, what staff change on it and the audit log are staff's; members
# never reach them. An invite link opens to anyone, works once, then says it was used.
TEAM_PAGES = {
    "team", "team_member_quota", "team_member_role", "team_member_active", "team_reset_link",
    "team_invite", "team_invite_revoke", "team_audit", "team_audit_csv",
}  # fmt: skip


def test_it_walks_every_team_page_and_knows_they_are_staffs(pages):
    assert {page.name for page in pages} >= TEAM_PAGES | LINKS
    staff_only = {page.name for page in pages if page.staff_only}
    assert staff_only >= TEAM_PAGES and not staff_only & LINKS


@pytest.mark.parametrize("persona", ["alice", "bob"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_members_never_reach_the_team_pages(request, staff, pages, persona, htmx):
    from generations.models import AuditEntry, Invite

    member = request.getfixturevalue(persona)
    invite, _ = Invite.make(by=staff)
    client = Client()
    client.force_login(member)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    form = {"quota": "5", "role": "staff", "active": "0", "as_staff": "on"}
    urls = [page.url for page in pages if page.name in TEAM_PAGES]
    urls += [reverse(name, args=[member.pk]) for name in TEAM_PAGES if "member" in name]
    urls += [reverse("team_reset_link", args=[staff.pk]), f"/team/invites/{invite.pk}/revoke/"]
    for url in urls:
        assert goes_to_login(client.get(url, **headers)), url
        assert goes_to_login(client.post(url, form, **headers)), url
    member.refresh_from_db()
    staff.refresh_from_db()
    assert not member.is_staff and member.is_active and staff.is_active
    assert Invite.objects.get().revoked_at is None and Invite.objects.count() == 1
    assert list(AuditEntry.objects.values_list("kind", flat=True)) == ["invite"]


def test_staff_reach_every_team_page(staff_client, pages):
    for page in pages:
        if page.name in TEAM_PAGES:
            assert staff_client.get(page.url).status_code in (200, 405), page  # 405: POST only


def test_an_invite_link_works_once(staff):
    from generations.models import Invite

    _, token = Invite.make(by=staff)
    url = reverse("invite", args=[token])
    password = "a lantern over quiet water"
    assert Client().get(url).status_code == 200
    form = {"username": "first", "password1": password, "password2": password}
    assert Client().post(url, form).status_code == 302
    assert Client().get(url).status_code == 410
    assert Client().post(url, {**form, "username": "second"}).status_code == 410
    assert not User.objects.filter(username="second").exists()
    assert User.objects.filter(username="first").exists()
