"""The password page reads like the login page: each field's errors right under that field (a
rule the new password breaks under the new password, beside the rules, not under its
confirmation), the rules a small hint, and a message about the whole form in a box of its own."""

from django.test import Client
from django.urls import reverse

from tests.fixtures import PASSWORD


def change_password(client, old: str, new: str, again: str) -> str:
    response = client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again},
    )
    assert response.status_code == 200
    return response.content.decode()


def under(page: str, field_id: str) -> str:
    """The page between the field's input and the next label: what is shown under the field."""
    start = page.index(f'id="{field_id}"')
    next_label = page.find("<label", start)
    return page[start : next_label if next_label != -1 else page.index("</form>", start)]


def test_a_rule_the_new_password_breaks_is_shown_under_the_new_password(alice_client):
    page = change_password(alice_client, PASSWORD, "tiny", "tiny")
    assert "This password is too short." in under(page, "id_new_password1")
    assert "too short" not in under(page, "id_new_password2")
    assert 'aria-describedby="id_new_password1_helptext id_new_password1_error"' in page


def test_passwords_that_differ_are_shown_under_the_confirmation(alice_client):
    page = change_password(alice_client, PASSWORD, "a long enough passphrase", "another one")
    assert "The two password fields" in under(page, "id_new_password2")
    assert "The two password fields" not in under(page, "id_new_password1")


def test_a_wrong_old_password_is_shown_under_the_old_password(alice_client):
    page = change_password(
        alice_client, "not it", "a long enough passphrase", "a long enough passphrase"
    )
    assert "Your old password was entered incorrectly" in under(page, "id_old_password")


def test_the_rules_are_a_hint_under_the_new_password(alice_client):
    page = alice_client.get(reverse("password_change")).content.decode()
    hint = under(page, "id_new_password1")
    assert '<div class="hint field-hint" id="id_new_password1_helptext"><ul>' in hint
    assert "at least 8 characters" in hint


def test_a_failed_login_says_so_in_a_box_above_the_form(alice):
    page = Client().post(reverse("login"), {"username": "alice", "password": "wrong"})
    content = page.content.decode()
    box = content[content.index('<div class="form-errors" role="alert">') : content.index("<form")]
    assert "That user name and password don't match." in box
    assert 'value="alice"' in content  # the user name typed is kept
