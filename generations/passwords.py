"""The form of a member's own password page (accounts/password_change/)."""

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
