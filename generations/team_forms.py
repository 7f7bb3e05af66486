"""The forms of the team page, the invite page and the audit log, each mistake in words."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import BaseUserCreationForm, UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q

from .models import AuditEntry, AuditKind
from .models.generations import start_of_day

QUOTA_ERRORS = {
    "invalid": "Write the quota as a whole number of credits, such as 500, or leave it empty "
    "for the team default.",
    "min_value": "A quota can't be below 0 credits (0 stops this member's clips).",
    "max_value": "A quota can be at most 2,000,000,000 credits a month.",
}


def quota_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="Quota",
        required=False,
        min_value=0,
        max_value=2_000_000_000,
        error_messages=QUOTA_ERRORS,
        help_text="Credits a month. Empty: the team default.",
    )


class QuotaForm(forms.Form):
    quota = quota_field()


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=[("staff", "Staff"), ("member", "Member")],
        error_messages={
            "required": "Choose staff or member.",
            "invalid_choice": "Choose staff or member.",
        },
    )


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(
        choices=[("1", "Active"), ("0", "Deactivated")],
        coerce=lambda value: value == "1",
        error_messages={
            "required": "Choose to deactivate or reactivate.",
            "invalid_choice": "Choose to deactivate or reactivate.",
        },
    )


class InviteForm(forms.Form):
    as_staff = forms.BooleanField(label="Staff", required=False)
    quota = quota_field()


class JoinForm(UserCreationForm):
    """Django's own sign-up form and password rules, in the studio's words; a rule the password
    breaks is shown under the password, only "they don't match" under its confirmation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "User name"
        self.fields["password1"].label = "Password"
        self.fields["password2"].label = "Password again"
        self.fields["password2"].help_text = "The same password, to be sure it is what you meant."
        self.fields["password2"].error_messages["required"] = "Type the password again."
        self.fields["password1"].error_messages["required"] = "Choose a password."
        self.fields["username"].error_messages["required"] = "Choose a user name."

    def _post_clean(self) -> None:
        # Not BaseUserCreationForm's, which checks the rules against password2 (the stubs do not
        # know ModelForm's _post_clean).
        super(BaseUserCreationForm, self)._post_clean()  # type: ignore[misc]
        password = self.cleaned_data.get("password1")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)


class AuditFilterForm(forms.Form):
    """The audit log's filters; a date that can't be read is an error in words (the other
    filters still apply)."""

    member = forms.TypedChoiceField(
        label="Member", required=False, coerce=int, empty_value=None, choices=[]
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Every kind"), *AuditKind.choices]
    )
    start = forms.DateField(
        label="From",
        required=False,
        error_messages={"invalid": "Write the first day as a date, such as 2026-03-01."},
    )
    end = forms.DateField(
        label="To",
        required=False,
        error_messages={"invalid": "Write the last day as a date, such as 2026-03-31."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = User.objects.order_by("username").values_list("pk", "username")
        member = self.fields["member"]
        assert isinstance(member, forms.ChoiceField)
        member.choices = [("", "Everyone"), *((str(pk), name) for pk, name in names)]
        member.error_messages["invalid_choice"] = "Choose a member from the list."
        self.fields["kind"].error_messages["invalid_choice"] = "Choose a kind from the list."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The last day comes before the first day.")
        return data

    def bound_for(self, name: str) -> datetime | None:
        """Midnight starting the first day, or ending the last; None for no bound (none asked
        for, or past the calendar's end: 9999-12-31 has no next midnight)."""
        day: date | None = getattr(self, "cleaned_data", {}).get(name)
        if day is None:
            return None
        return start_of_day(day, days_later=1 if name == "end" else 0)

    def entries(self):
        """The entries the valid filters select, newest first (an invalid one narrows nothing)."""
        entries = AuditEntry.objects.select_related("actor", "member")
        self.is_valid()  # cleans a bound form once; an unbound one selects everything
        data = getattr(self, "cleaned_data", {})
        if data.get("member"):  # what was done to them, and what they did
            entries = entries.filter(Q(member_id=data["member"]) | Q(actor_id=data["member"]))
        if data.get("kind"):
            entries = entries.filter(kind=data["kind"])
        if since := self.bound_for("start"):
            entries = entries.filter(at__gte=since)
        if "end" not in self.errors and (until := self.bound_for("end")):
            entries = entries.filter(at__lt=until)
        return entries.order_by("-at", "-pk")
