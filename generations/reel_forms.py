"""The reels' forms: a new reel's name, and "Add to reel" (choose a reel or name a new one)."""

from typing import Any

from django import forms

from .forms import SelectionForm
from .models.reels import REEL_NAME_MAX_LENGTH, Reel, ShotsAdded

REEL_NAME_ERRORS = {
    "required": "Give the reel a name.",
    "max_length": "The name is %(show_value)d characters; the limit is %(limit_value)d.",
}


def reel_name_field(**options: Any) -> forms.CharField:
    return forms.CharField(
        max_length=REEL_NAME_MAX_LENGTH, error_messages=REEL_NAME_ERRORS, **options
    )


def name_taken(name: str) -> str | None:
    """Why `name` can't be a new reel's (another reel has it, whatever its case), or None."""
    if Reel.objects.named(name).exists():
        return f"There is already a reel named “{name}”: choose another name."
    return None


class ReelForm(forms.Form):
    """A new reel's name."""

    name = reel_name_field(label="Name")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if problem := name_taken(name):
            raise forms.ValidationError(problem)
        return name

    def save(self, by) -> Reel:
        return Reel.make(name=self.cleaned_data["name"], by=by)


class AddToReelForm(SelectionForm):
    """Clips to put at the end of a reel, in the order given: one of the team's reels, or a new
    one named in the same step."""

    reel = forms.ModelChoiceField(
        queryset=Reel.objects.all(),
        required=False,
        empty_label="Choose a reel",
        label="Reel",
        error_messages={"invalid_choice": "That reel is gone: choose another, or make one."},
    )
    new_reel = reel_name_field(required=False, label="…or a new reel named")

    def clean_new_reel(self) -> str:
        name = self.cleaned_data["new_reel"]
        if name and name_taken(name):
            raise forms.ValidationError(
                f"There is already a reel named “{name}”: choose it from the list, or give the "
                "new reel another name."
            )
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        reel, name = data.get("reel"), data.get("new_reel")
        if "reel" in self.errors or "new_reel" in self.errors:
            return data
        if reel and name:
            self.add_error("new_reel", "Choose a reel or name a new one, not both.")
        elif not reel and not name:
            self.add_error("reel", "Choose a reel, or name a new one.")
        return data

    def save(self, by) -> ShotsAdded:
        """The clips put in the reel (made first if new)."""
        reel = self.cleaned_data.get("reel") or Reel.make(name=self.cleaned_data["new_reel"], by=by)
        return reel.add([g.pk for g in self.generations], by=by)
