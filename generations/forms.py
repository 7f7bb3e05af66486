"""The studio's forms: what a person may ask for, with a specific message for each mistake."""

import uuid
from functools import cached_property
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db.models import Value

from .images import MAX_BYTES, MIN_SHORT_SIDE, CheckedImage, ImageRejected, check_first_frame
from .models import (
    BOARD_NAME_MAX_LENGTH,
    PRICE_TABLE,
    PROMPT_MAX_LENGTH,
    Added,
    Board,
    BoardNameTaken,
    Budget,
    Duration,
    FirstFrameRequirement,
    Generation,
    Resolution,
    Status,
)
from .models.generations import MAX_TAKES
from .models.search import search_words
from .pipeline.last_frames import NoLastFrame, last_frame_of
from .safe_urls import UnsafeURL, check_url

MAX_IMAGE_MB = MAX_BYTES // (1024 * 1024)
# The most clips one bulk action takes (a page holds far fewer; select-all stays on a page).
MAX_SELECTION = 500
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
    # Continue from last frame: the clip whose last frame is this one's first. Another image
    # chosen instead (or the image removed) makes it a clip of its own (studio.js clears this).
    continues = forms.UUIDField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-reuse-image": True}),
        error_messages={"invalid": "The clip to continue is not one of the studio's clips."},
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
    # Variations: one submission makes this many takes of its prompt and settings. Absent (an
    # older page, a script) is one.
    takes = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, MAX_TAKES + 1)],
        coerce=int,
        required=False,
        empty_value=None,
        initial=1,
        label="Clips",
        help_text="Takes of the same prompt and settings, each its own clip, billed on its own.",
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": f"Choose 1 to {MAX_TAKES} clips: one Generate makes at most "
            f"{MAX_TAKES} takes of a prompt."
        },
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
        takes = self.takes_asked
        estimate = budget.price(resolution, duration) * takes
        return Generation.objects.standing(self.member, budget).refusal(estimate, takes)

    @property
    def takes_asked(self) -> int:
        """How many takes the raw field asks for (one if it can't be read: clean says why)."""
        asked = str(self.data.get("takes", ""))
        return int(asked) if asked in {str(n) for n in range(1, MAX_TAKES + 1)} else 1

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

    def clean_takes(self) -> int:
        return self.cleaned_data.get("takes") or 1

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

    def clean_continues(self) -> Generation | None:
        """The clip continued, its last frame made (once) and kept; None when another image was
        chosen instead, which starts a clip of its own."""
        source_id = self.cleaned_data.get("continues")
        if not source_id or self.budget_refusal:
            return None
        if self.files.get("image") or str(self.data.get("image_url", "")).strip():
            return None
        source = Generation.objects.filter(pk=source_id).select_related("owner").first()
        if source is None:
            raise forms.ValidationError("The clip to continue is not one of the studio's clips.")
        try:
            return last_frame_of(source)
        except NoLastFrame as refusal:
            raise forms.ValidationError(
                f"{refusal} Choose a first frame of your own, or continue another clip."
            ) from None

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
        """No image given in any of the ways: upload, web address, a clip's to reuse or continue."""
        data = self.cleaned_data
        return not (
            self.files.get("image")
            or data.get("image_url")
            or data.get("reuse_image_of")
            or data.get("continues")
        )

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
            "continues": data.get("continues"),
        }

    def first_frame_file(self) -> UploadedFile | None:
        """The image to keep with the generation now: an upload, the last frame of the clip it
        continues, or a clip's being remixed (one given by address is fetched by the pipeline)."""
        if self.cleaned_data.get("image"):
            return self.cleaned_data["image"]
        if continued := self.cleaned_data.get("continues"):
            with continued.last_frame.open("rb") as frame:
                return SimpleUploadedFile("last-frame.png", frame.read())
        source = self.cleaned_data.get("reuse_image_of")
        if source:
            with source.first_frame.open("rb") as image:
                name = source.first_frame.name.rsplit("/", 1)[-1]
                return SimpleUploadedFile(name, image.read())
        return None


class GalleryFilterForm(forms.Form):
    """The gallery's filters, all combinable. A value one of them can't read (a typo, a board
    since deleted, a 13th month) narrows nothing, never an error: the others still apply."""

    NAMES = ("who", "member", "status", "resolution", "q", "starred", "board", "start", "end")
    # What each filter asks for when it asks for nothing.
    NOTHING: dict[str, Any] = {
        "who": "everyone", "member": None, "status": "", "resolution": "", "q": "",
        "starred": False, "board": None, "start": None, "end": None,
    }  # fmt: skip

    who = forms.ChoiceField(
        choices=[("everyone", "Everyone"), ("mine", "Mine")], required=False, initial="everyone"
    )
    # A teammate, by user name (as the select sends it) or id; read in clean_member.
    member = forms.CharField(required=False, max_length=150, label="Member")
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
    starred = forms.BooleanField(required=False, label="Starred")
    board = forms.CharField(required=False, max_length=20, label="Board")
    start = forms.DateField(required=False, label="Made from")
    end = forms.DateField(required=False, label="Made until")

    @cached_property
    def choices(self) -> dict[str, list[tuple[int, str]]]:
        """What the member and board selects offer, as (id, name) by name: both in one query
        (a UNION), made only when the selects are shown or a member or board is asked for."""
        User = get_user_model()
        members = User.objects.order_by().values_list("pk", User.USERNAME_FIELD, Value("member"))
        boards = Board.objects.order_by().values_list("pk", "name", Value("board"))
        found: dict[str, list[tuple[int, str]]] = {"member": [], "board": []}
        for pk, name, kind in members.union(boards, all=True):
            found[kind].append((pk, name))
        found["member"].sort(key=lambda member: member[1])
        found["board"].sort(key=lambda board: board[1].lower())
        return found

    @property
    def members(self) -> list[tuple[int, str]]:
        return self.choices["member"]

    @property
    def boards(self) -> list[tuple[int, str]]:
        return self.choices["board"]

    @property
    def member_options(self) -> list[tuple[str, str, bool]]:
        """The member select's options: (value sent, label, whether chosen)."""
        chosen = self.narrowing["member"]
        return [(name, name, pk == chosen) for pk, name in self.members]

    @property
    def board_options(self) -> list[tuple[int, str, bool]]:
        chosen = self.narrowing["board"]
        return [(pk, name, pk == chosen) for pk, name in self.boards]

    def clean_member(self) -> int | None:
        """The member's id, found by user name first, then by id; None for no one we know."""
        value = self.cleaned_data["member"]
        if not value:
            return None
        by_name = {name: pk for pk, name in self.members}
        by_id = {str(pk): pk for pk, _ in self.members}
        return by_name.get(value, by_id.get(value))

    def clean_board(self) -> int | None:
        value = self.cleaned_data["board"]
        if not value:
            return None
        return {str(pk): pk for pk, _ in self.boards}.get(value)

    @cached_property
    def narrowing(self) -> dict[str, Any]:
        """What each filter asks for: its cleaned value, or NOTHING's where it can't be read."""
        if not self.is_bound:
            return dict(self.NOTHING)
        self.is_valid()
        data = self.cleaned_data
        return {name: data.get(name, nothing) for name, nothing in self.NOTHING.items()}

    @property
    def narrows(self) -> bool:
        """Whether these filters hide any clip (an empty gallery then says "no clips match")."""
        asked = self.narrowing
        return (
            asked["who"] == "mine"
            or bool(search_words(asked["q"]))
            or any(asked[name] for name in self.NOTHING if name not in ("who", "q"))
        )

    @property
    def more_narrows(self) -> bool:
        """Whether a filter folded under "More filters" is in use (the page then shows them)."""
        return any(self.narrowing[name] for name in ("member", "board", "start", "end"))

    def apply(self, generations, user):
        """The gallery as these filters narrow it."""
        return generations.matching(user=user, **self.narrowing)


# Boards, stars and selections (issue #14) ---------------------------------------------------

BOARD_NAME_ERRORS = {
    "required": "Name the board: the name can't be empty.",
    "max_length": "The name is %(show_value)d characters; the limit is %(limit_value)d.",
}


def board_name_field(**options: Any) -> forms.CharField:
    return forms.CharField(
        max_length=BOARD_NAME_MAX_LENGTH, error_messages=BOARD_NAME_ERRORS, **options
    )


def name_taken(name: str, board: Board | None = None) -> str | None:
    """Why `name` can't be a board's (another board has it, whatever its case), or None."""
    others = Board.objects.named(name)
    if board is not None:
        others = others.exclude(pk=board.pk)
    return str(BoardNameTaken(name)) if others.exists() else None


class BoardForm(forms.Form):
    """A board's name and description, to make a board or to rename one."""

    name = board_name_field(label="Name")
    description = forms.CharField(
        required=False,
        max_length=2000,
        label="Description (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": "The description is %(show_value)d characters; the limit is "
            "%(limit_value)d."
        },
    )

    def __init__(self, *args, board: Board | None = None, **kwargs) -> None:
        self.board = board
        if board is not None and not args and "data" not in kwargs:
            kwargs.setdefault("initial", {"name": board.name, "description": board.description})
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if problem := name_taken(name, self.board):
            raise forms.ValidationError(problem)
        return name

    def save(self, by) -> Board | None:
        """The board made or renamed; None, with the reason on the name, if a teammate took the
        name a moment before."""
        data = self.cleaned_data
        try:
            if self.board is None:
                return Board.make(name=data["name"], description=data["description"], by=by)
            self.board.rename(name=data["name"], description=data["description"])
        except BoardNameTaken as taken:
            self.add_error("name", str(taken))
            return None
        return self.board


class SelectionForm(forms.Form):
    """Clips chosen on a page (`ids`, as many as ticked), those still in the gallery."""

    NOTHING_CHOSEN = "Select at least one clip first."

    def clean(self) -> dict[str, Any]:
        asked = []
        for value in self.data.getlist("ids") if hasattr(self.data, "getlist") else []:
            try:
                asked.append(uuid.UUID(str(value)))
            except ValueError:
                continue
        found = Generation.objects.visible().for_cards().in_bulk(asked[:MAX_SELECTION])
        self.cleaned_data["generations"] = [found[pk] for pk in dict.fromkeys(asked) if pk in found]
        self.cleaned_data["asked"] = len(set(asked))
        if not self.cleaned_data["generations"]:
            gone = "The selected clips are no longer in the gallery."
            raise forms.ValidationError(gone if asked else self.NOTHING_CHOSEN)
        return self.cleaned_data

    @property
    def generations(self) -> list[Generation]:
        return self.cleaned_data["generations"]

    @property
    def missing(self) -> int:
        """How many of the chosen clips were deleted meanwhile."""
        return self.cleaned_data["asked"] - len(self.generations)


class AddToBoardForm(SelectionForm):
    """Clips to put on a board: one of the team's, or a new one named in the same step."""

    board = forms.ModelChoiceField(
        queryset=Board.objects.all(),
        required=False,
        empty_label="Choose a board",
        label="Board",
        error_messages={"invalid_choice": "That board is gone: choose another, or make one."},
    )
    new_board = board_name_field(required=False, label="…or a new board named")

    def clean_new_board(self) -> str:
        name = self.cleaned_data["new_board"]
        if name and name_taken(name):
            raise forms.ValidationError(
                f"There is already a board named “{name}”: choose it from the list, or give the "
                "new board another name."
            )
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        board, name = data.get("board"), data.get("new_board")
        if "board" in self.errors or "new_board" in self.errors:
            return data
        if board and name:
            self.add_error("new_board", "Choose a board or name a new one, not both.")
        elif not board and not name:
            self.add_error("board", "Choose a board, or name a new one.")
        return data

    def save(self, by) -> Added | None:
        """The clips put on the board (made first if new); None, with the reason, if a teammate
        took the new board's name a moment before."""
        board = self.cleaned_data.get("board")
        if board is None:
            try:
                board = Board.make(name=self.cleaned_data["new_board"], by=by)
            except BoardNameTaken as taken:
                self.add_error("new_board", str(taken))
                return None
        return board.add([g.pk for g in self.generations], by=by)
