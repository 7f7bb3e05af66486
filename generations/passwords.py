"""The forms of a member's own password page (accounts/password_change/) and of the password-reset
link staff make on the team page (accounts/reset/...)."""

from typing import Any

from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm


class MemberPasswordChangeForm(PasswordChangeForm):
    """Django's, with a rule the new password breaks shown under the new password, beside the
    rules, rather than under its confirmation (only "they don't match" belongs there)."""

    def clean(self) -> dict[str, Any] | None:
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        # Past SetPasswordForm.clean, which would check the rules again against new_password2.
        return super(SetPasswordForm, self).clean()


class MemberSetPasswordForm(SetPasswordForm):
    """Django's form behind a password-reset link, with the rules' errors under the new password,
    as on the password page."""

    def clean(self) -> dict[str, Any] | None:
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        return super(SetPasswordForm, self).clean()
