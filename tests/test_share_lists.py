"""Members see the links they made on their account page (with the link to copy and Revoke);
staff see every link of the team on /admin/shares/, linked from the admin and the account page."""

import pytest

from generations.models import Board, ShareLink
from tests.clip_files import stored_clip


@pytest.fixture
def links(alice, bob, make_generation):
    fox = stored_clip(make_generation, alice, "A red fox in fresh snow")
    board = Board.make(name="Client picks", by=bob)
    return {
        "alice": ShareLink.make(by=alice, generation=fox, expiry_days=30, allow_download=True),
        "bob": ShareLink.make(by=bob, board=board, expiry_days=7, allow_download=False),
    }


def test_a_member_sees_their_own_links_only(alice_client, links):
    html = alice_client.get("/account/").content.decode()
    assert "Links you shared" in html
    assert f"http://testserver/s/{links['alice'].token}/" in html
    assert "A red fox in fresh snow" in html and ">Revoke</button>" in html
    assert links["bob"].token not in html and "Client picks" not in html
    assert "/admin/shares/" not in html


def test_a_revoked_link_stays_listed_without_its_address(alice, alice_client, links):
    links["alice"].revoke(by=alice)
    html = alice_client.get("/account/").content.decode()
    assert "Turned off" in html and links["alice"].token not in html
    assert ">Revoke</button>" not in html


def test_with_no_link_the_account_page_says_how_to_make_one(bob_client, links):
    links["bob"].delete()
    assert "You have not shared anything yet." in bob_client.get("/account/").content.decode()


def test_staff_see_every_link(staff_client, links):
    html = staff_client.get("/admin/shares/").content.decode()
    assert links["alice"].token in html and links["bob"].token in html
    assert "by alice" in html and "by bob" in html
    assert html.count(">Revoke</button>") == 2
    assert "/admin/shares/" in staff_client.get("/admin/").content.decode()
    assert "/admin/shares/" in staff_client.get("/account/").content.decode()


def test_members_cannot_open_the_staff_list(alice_client, links):
    response = alice_client.get("/admin/shares/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
