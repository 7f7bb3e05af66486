"""The studio's forms: what a person may ask for, with a specific message for each mistake."""

from functools import cached_property
from typing import Any

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from .images import MAX_BYTES, MIN_SHORT_SIDE, CheckedImage, ImageRejected, check_first_frame
from .models import (
    PRICE_TABLE,
    PROMPT_MAX_LENGTH,
    Budget,
    Duration,
    FirstFrameRequirement,
    Generation,
    Resolution,
    Status,
)
from .safe_urls import UnsafeURL, check_url

MAX_IMAGE_MB = MAX_BYTES // (1024 * 1024)
FIRST_FRAME_ASKED = (
    "Apiframe is making Hailuo 2.3 Fast clips only from a first frame at the moment: add an "
    "image, or an image's web address, and press Generate again."
)


class GenerationForm(forms.Form):
    """What a member asks for. Cheap checks come first: a request the budget refuses never has
    its image decoded, and an image given by address is fetched later, by the task cluster."""

    # For the page's own checks of a chosen image, before anything is sent.
    min_short_side = MIN_SHORT_SIDE
    max_bytes = MAX_BYTES

    prompt = forms.CharField(
        max_length=PROMPT_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "A vintage car driving through a rainy neon city at night, "
                "reflections on the asphalt",
            }
        ),
        error_messages={
            "required": "Describe the clip you want: the prompt can't be empty.",
            "max_length": "The prompt is %(show_value)d characters; the limit is %(limit_value)d.",
        },
    )
    image = forms.FileField(
        required=False,
        label="First frame",
        help_text=f"At most {MAX_IMAGE_MB} MB, shorter side at least {MIN_SHORT_SIDE} px, "
        "shape between 2:5 and 5:2.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        error_messages={"empty": "The chosen image file is empty."},
    )
    image_url = forms.URLField(
        required=False,
        max_length=2000,
        assume_scheme="https",
        label="…or an image's web address",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/photo.jpg"}),
        error_messages={"invalid": "Enter a full web address, like https://example.com/photo.jpg."},
    )
    reuse_image_of = forms.UUIDField(
        required=False, widget=forms.HiddenInput(attrs={"data-reuse-image": True})
    )
    resolution = forms.ChoiceField(
        choices=Resolution.choices, initial=Resolution.P768, widget=forms.RadioSelect
    )
    duration = forms.TypedChoiceField(
        choices=Duration.choices,
        coerce=int,
        initial=Duration.SHORT,
        label="Length",
        widget=forms.RadioSelect,
    )
    prompt_optimizer = forms.BooleanField(
        required=False, initial=True, label="Let Hailuo refine the prompt (prompt optimizer)"
    )
    # Shown to staff only; the budget ignores it for anyone else.
    over_budget = forms.BooleanField(
        required=False, label="Go past the budget or limits if this clip needs it (staff only)"
    )

    def __init__(self, *args, member=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.member = member

    @cached_property
    def budget_refusal(self) -> str | None:
        """The budget's word on this request, read from the raw fields before any costly check
        (Generation.start asks again, under the budget's lock)."""
        if self.member is None or (self.member.is_staff and self.data.get("over_budget")):
            return None
        resolution = self.data.get("resolution")
        if resolution not in Resolution.values:
            resolution = Resolution.P768
        duration = Duration.LONG if self.data.get("duration") == "10" else Duration.SHORT
        if (resolution, duration) not in PRICE_TABLE:  # 1080p at 10 s: clean() says why not
            duration = Duration.SHORT
        budget = Budget.current()
        estimate = budget.price(resolution, duration)
        return Generation.objects.standing(self.member, budget).refusal(estimate)

    def clean_image(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("image")
        if not upload or self.budget_refusal:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The image is {upload.size / (1024 * 1024):.1f} MB; "
                f"the limit is {MAX_IMAGE_MB} MB."
            )
        self.checked_image = self._check(upload.read(), upload.name)
        upload.seek(0)
        # Named by what it is, not what the uploader called it (which may have no extension).
        upload.name = f"first-frame.{self.checked_image.extension}"
        return upload

    def clean_image_url(self) -> str:
        """Only what can be seen in the address itself: the task cluster fetches the image, so
        a slow or hostile site never holds one of the web server's threads."""
        url = self.cleaned_data.get("image_url", "")
        if url:
            try:
                check_url(url, resolve=False)
            except UnsafeURL as error:
                raise forms.ValidationError(f"That address can't be used: {error}.") from None
        return url

    def clean_reuse_image_of(self) -> Generation | None:
        source_id = self.cleaned_data.get("reuse_image_of")
        if not source_id:
            return None
        source = Generation.objects.visible().filter(pk=source_id).exclude(first_frame="").first()
        if source is None:
            raise forms.ValidationError("The image of that clip is no longer available.")
        return source

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.budget_refusal:
            raise forms.ValidationError(self.budget_refusal, code="budget")
        if self.files.get("image") and data.get("image_url"):
            self.add_error("image_url", "Choose an uploaded image or a web address, not both.")
        if data.get("resolution") == Resolution.P1080 and data.get("duration") == Duration.LONG:
            self.add_error(
                "duration", "1080p clips are 6 seconds long: choose 6 s, or 768p for 10 s."
            )
        # Asked last, so a request refused for another reason never uses up the day's one try.
        if not self.errors and self.is_text_only and not FirstFrameRequirement.admit_text_only():
            self.add_error("image", FIRST_FRAME_ASKED)
        return data

    @property
    def is_text_only(self) -> bool:
        """No image given in any of the three ways: upload, web address, a clip's to reuse."""
        data = self.cleaned_data
        return not (self.files.get("image") or data.get("image_url") or data.get("reuse_image_of"))

    def _check(self, content: bytes, filename: str) -> CheckedImage:
        try:
            return check_first_frame(content, filename)
        except ImageRejected as rejected:
            raise forms.ValidationError(rejected.problems) from None

    def generation_settings(self) -> dict:
        data = self.cleaned_data
        return {
            "resolution": data["resolution"],
            "duration": data["duration"],
            "prompt_optimizer": data["prompt_optimizer"],
            "first_frame_url": data.get("image_url", ""),
        }

    def first_frame_file(self) -> UploadedFile | None:
        """The image to keep with the generation now: an upload, or a clip's being remixed (one
        given by address is fetched by the pipeline)."""
        if self.cleaned_data.get("image"):
            return self.cleaned_data["image"]
        source = self.cleaned_data.get("reuse_image_of")
        if source:
            with source.first_frame.open("rb") as image:
                name = source.first_frame.name.rsplit("/", 1)[-1]
                return SimpleUploadedFile(name, image.read())
        return None


class GalleryFilterForm(forms.Form):
    NAMES = ("who", "status", "resolution", "q")

    who = forms.ChoiceField(
        choices=[("everyone", "Everyone"), ("mine", "Mine")], required=False, initial="everyone"
    )
    status = forms.ChoiceField(
        choices=[
            ("", "Any status"),
            ("running", "Running"),
            (Status.COMPLETED.value, Status.COMPLETED.label),
            (Status.FAILED.value, Status.FAILED.label),
        ],
        required=False,
    )
    resolution = forms.ChoiceField(choices=[("", "Any size"), *Resolution.choices], required=False)
    q = forms.CharField(required=False, max_length=200)

    @property
    def narrows(self) -> bool:
        """Whether these filters hide any clip (an empty gallery then says "no clips match")."""
        if not self.is_valid():
            return False
        data = self.cleaned_data
        return data["who"] == "mine" or any(data[name] for name in ("status", "resolution", "q"))

    def apply(self, generations, user):
        """The gallery as these filters narrow it (invalid filters narrow nothing)."""
        if not self.is_valid():
            return generations
        return generations.matching(user=user, **self.cleaned_data)
