"""Every URL of the project, walked from the URL resolver, with its placeholders filled in: the
security tests go through all of them, so a page added tomorrow is checked too."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve

# "<uuid:pk>" in a route, "(?P<app_label>...)" in a regex.
PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
# Staff-only pages outside the admin's URLs, by name.
STAFF_PAGES = {"approval_approve", "approval_decline"}


@dataclass(frozen=True)
class Page:
    name: str  # namespaced URL name, or the route when the pattern has no name
    url: str
    staff_only: bool


def walk(
    patterns: list, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        route = str(pattern.pattern).removeprefix("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, prefix + route, inner)
        else:
            yield prefix + route, namespace, pattern


def every_page(generation) -> list[Page]:
    """One concrete URL per pattern, its ids those of `generation` (and its prompt)."""
    # Keyed by name, or by "converter:name" where one name stands for different kinds of ids.
    samples = {
        "uuid:pk": str(generation.pk),
        "int:pk": str(generation.prompt_id),
        "object_id": "1",
        "content_type_id": "1",
        "id": "1",
        "app_label": "generations",
        "url": "no-such-page/",
        "path": "posters/none.jpg",
        "uidb64": "MQ",
        "token": "set-password",
    }

    def sample(match: re.Match) -> str:
        converter, name, group = match.groups()
        return samples.get(f"{converter}:{name}") or samples[name or group]

    pages = {}
    for route, namespace, pattern in walk(get_resolver().url_patterns):
        url = "/" + PLACEHOLDER.sub(sample, route)
        name = f"{namespace}{pattern.name}" if pattern.name else route
        # The sample must reach this very pattern (not an earlier one that shadows it).
        assert resolve(url).func == pattern.callback or route.endswith(".*"), (route, url)
        staff_only = (
            namespace == "admin:" or route.startswith(("admin/", "team/")) or name in STAFF_PAGES
        )
        pages.setdefault(url, Page(name, url, staff_only))
    return list(pages.values())
