"""Steps the spend-approval tests share: a member out of quota, the studio's form as posted, and
asking for approval through the studio as htmx does."""

from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from generations.models import ApprovalRequest, MemberQuota
from tests.fixtures import picture

HTMX = {"HTTP_HX_REQUEST": "true"}
PROMPT = "A red kite over a wheat field at dawn"


def out_of_quota(member, credits: int = 0) -> None:
    """`member`'s own monthly quota: 0 refuses any clip."""
    MemberQuota.set_for(member, credits)


def studio_form(**fields) -> dict:
    """The studio's form as the browser posts it (768p, 6 s, optimizer on, one take)."""
    return {"prompt": PROMPT, "resolution": "768p", "duration": "6", "prompt_optimizer": "on",
            "takes": "1", **fields}  # fmt: skip


def image_file(name: str = "kite.png", **options) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, picture(**options), "image/png")


def ask(client, htmx: bool = True, **fields):
    """Press "Ask for approval": the studio's whole form, sent to the ask view."""
    headers = HTMX if htmx else {}
    return client.post(reverse("approval_ask"), studio_form(**fields), **headers)


def generate(client, **fields):
    return client.post(reverse("generation_create"), studio_form(**fields), **HTMX)


def asked(member, **fields) -> ApprovalRequest:
    """A pending request of `member`'s made the way the ask view makes one (no image)."""
    options = {"prompt_text": PROMPT, "resolution": "768p", "duration": 6, **fields}
    return ApprovalRequest.ask(member, **options)[0]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class Elements(HTMLParser):
    """Each element with an id: its attributes and its text (descendants' included), by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.attributes: dict[str, dict[str, str | None]] = {}
        self.texts: dict[str, list[str]] = {}
        self.open: list[str | None] = []  # the id of each open element, or None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        element_id = found.get("id")
        if element_id:
            self.attributes.setdefault(element_id, found)
            self.texts.setdefault(element_id, [])
        if tag not in VOID:
            self.open.append(element_id)

    def handle_endtag(self, tag):
        if tag not in VOID and self.open:
            self.open.pop()

    def handle_data(self, data):
        for element_id in {i for i in self.open if i}:
            self.texts[element_id].append(data)

    def text(self, element_id: str) -> str:
        """The element's words, spaces and non-breaking spaces made single spaces."""
        return " ".join("".join(self.texts[element_id]).replace("\xa0", " ").split())


def elements(response) -> Elements:
    return Elements(response.content.decode())


def buttons(response) -> list[dict[str, str | None]]:
    """Every <button>'s attributes, in the order sent."""
    found: list[dict[str, str | None]] = []

    class Buttons(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "button":
                found.append(dict(attrs))

    Buttons().feed(response.content.decode())
    return found
