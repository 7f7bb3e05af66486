"""Spend approval's forms: the studio's form sent to staff instead of to Apiframe, and staff's
decisions on it."""

from functools import cached_property

from django import forms

from .forms import GenerationForm
from .models import ApprovalRequest, NotOffered, Refusal

NOTE_MAX_LENGTH = 1000
REASON_MAX_LENGTH = 1000


class ApprovalAskForm(GenerationForm):
    """The studio's form as it was refused, plus a note for staff. Every check but the budget's
    runs (the refusal is the reason to ask), the image's included, so staff approve a clip that
    can be made."""

    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why this clip matters (optional)"}),
        error_messages={
            "max_length": "The note is %(show_value)d characters; the limit is %(limit_value)d."
        },
    )

    @cached_property
    def budget_refusal(self) -> str | None:
        return None

    def ask(self) -> tuple[ApprovalRequest, bool]:
        """The request made (or the same one already waiting); NotApprovable says why not."""
        data = self.cleaned_data
        return ApprovalRequest.ask(
            self.member,
            prompt_text=data["prompt"],
            resolution=data["resolution"],
            duration=data["duration"],
            prompt_optimizer=data["prompt_optimizer"],
            clips=data.get("takes") or 1,
            first_frame=self.first_frame_file(),
            first_frame_url=data.get("image_url", ""),
            continues=data.get("continues"),
            note=data.get("note", ""),
        )


def approval_offer(form: GenerationForm, user) -> Refusal | None:
    """The refusal a member may ask staff to approve past, if the studio's form shows one: a bound
    form with the budget's words, its clip refused by the quota or the team budget (the in-flight
    limit resolves itself). Asked only beside a refusal, so the studio's other answers cost no
    query."""
    if user.is_staff or not form.is_bound:
        return None
    if not isinstance(form, ApprovalAskForm) and not form.non_field_errors():
        return None
    resolution = str(form.data.get("resolution", ""))
    duration = 10 if form.data.get("duration") == "10" else 6
    try:
        refusal = ApprovalRequest.refusal_for(user, resolution, duration, form.takes_asked)
    except NotOffered:  # not a size the studio makes: the form's own error says why
        return None
    return refusal if refusal and refusal.approvable else None


class DecisionForm(forms.Form):
    """Staff's word on a request: approve (perhaps past the team budget) or decline, saying why."""

    past_team_budget = forms.BooleanField(required=False, label="Also go past the team budget")
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "max_length": "The reason is %(show_value)d characters; the limit is %(limit_value)d."
        },
    )
