"""Staff see and set a member's monthly quota at the top of the member's admin page (labelled
"Monthly quota", not an inline's "#1" at the bottom), and every member's quota in the list."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import Budget, MemberQuota


def change_url(member) -> str:
    return reverse("admin:auth_user_change", args=[member.pk])


def change_form(member, **changes) -> dict[str, str]:
    """What the member's admin page posts back when staff change nothing but `changes`."""
    return {
        "username": member.username,
        "monthly_quota": "",
        "first_name": "",
        "last_name": "",
        "email": member.email,
        "is_active": "on",
        "date_joined_0": member.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": member.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        **changes,
    }


def test_the_quota_is_near_the_top_of_the_member_page(staff_client, alice):
    MemberQuota.set_for(alice, 250)
    page = staff_client.get(change_url(alice)).content.decode()
    assert page.index('<label for="id_monthly_quota">Monthly quota') < page.index("Personal info")
    assert 'name="monthly_quota" value="250"' in page
    assert "#1" not in page and "Own monthly quota" not in page
    assert "Empty: the team default (no limit)." in page


def test_staff_set_a_quota_and_empty_it_back_to_the_team_default(staff_client, alice):
    response = staff_client.post(change_url(alice), change_form(alice, monthly_quota="250"))
    assert response.status_code == 302
    assert MemberQuota.objects.get(member=alice).monthly_credits == 250

    staff_client.post(change_url(alice), change_form(alice, monthly_quota="300"))
    assert MemberQuota.objects.get(member=alice).monthly_credits == 300

    staff_client.post(change_url(alice), change_form(alice, monthly_quota=""))
    assert not MemberQuota.objects.filter(member=alice).exists()


def test_a_quota_that_is_not_a_number_is_refused_in_words_keeping_what_was_typed(
    staff_client, alice
):
    typed = change_form(alice, monthly_quota="lots", email="alice@example.com")
    response = staff_client.post(change_url(alice), typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Write the quota as a whole number of credits, such as 500" in page
    assert 'value="lots"' in page and 'value="alice@example.com"' in page
    assert not MemberQuota.objects.filter(member=alice).exists()

    below_zero = staff_client.post(change_url(alice), change_form(alice, monthly_quota="-5"))
    assert "A quota can&#x27;t be below 0 credits" in below_zero.content.decode()


def test_staff_give_a_new_member_a_quota_as_they_add_them(staff_client):
    response = staff_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "charlie",
            "monthly_quota": "120",
            "usable_password": "true",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
        },
    )
    assert response.status_code == 302
    assert MemberQuota.objects.get(member__username="charlie").monthly_credits == 120


def test_the_member_list_shows_each_quota_in_one_query_for_all(staff_client, make_user):
    Budget.objects.update_or_create(pk=1, defaults={"member_monthly_credits": 400})
    alice, _bob = make_user("alice"), make_user("bob")
    MemberQuota.set_for(alice, 250)
    changelist = reverse("admin:auth_user_changelist")
    with CaptureQueriesContext(connection) as three_members:
        page = staff_client.get(changelist).content.decode()
    assert "Monthly quota" in page
    assert "250 credits" in page and "Team default: 400 credits" in page

    for name in ("charlie", "dana", "erin"):
        MemberQuota.set_for(make_user(name), 100)
    with CaptureQueriesContext(connection) as six_members:
        staff_client.get(changelist)
    assert len(six_members) == len(three_members)
