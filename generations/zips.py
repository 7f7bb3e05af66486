"""One ZIP of clips, streamed as it is read: each MP4 read through the storage (a disk or a
bucket) a chunk at a time and written out stored, not deflated (MP4 doesn't compress), then a
`clips.csv` manifest. Nothing is built in memory or on disk first, so memory stays flat however
many clips it holds (tooling/benchmarks/zips.py measures it; tests/test_zip_memory_stays_flat.py
checks it).

Clips that were asked for and cannot go in (deleted, never a clip, not finished, or their file
gone) are skipped and named in the manifest, with why; a ZIP that would hold no clip at all is
refused before it starts (`ClipZip.problem`)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from django.core.files.storage import default_storage
from django.http import StreamingHttpResponse
from django.utils import timezone
from zipstream import ZIP_STORED, ZipStream

from .models import Board, Generation, committed_credits

MANIFEST = "clips.csv"
CHUNK_BYTES = 256 * 1024
# Clips fetched from the database at a time, while the ZIP streams.
BATCH = 100
# Ids one request may name (Django refuses more than 1,000 form fields anyway).
MAX_IDS = 1000
ID_SEPARATORS = re.compile(r"\s*,\s*")

# The manifest for members; a share link's ZIP says only what its page shows.
MEMBER_COLUMNS = (
    "file", "id", "prompt", "author", "resolution", "duration_seconds", "prompt_optimizer",
    "first_frame", "created", "credits", "note",
)  # fmt: skip
SHARED_COLUMNS = ("file", "prompt", "created")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

NOTHING_SELECTED = "Nothing is selected: select the clips to download first."
NOT_FOUND = "no such clip in the gallery (deleted, or not a clip's id)"
TOO_MANY = f"A ZIP holds at most {MAX_IDS:,} clips: select fewer."


@dataclass
class ClipZip:
    """The clips of one ZIP (ids in the order they go in) and what was asked for but is not a
    clip in the gallery (as it was written)."""

    ids: list[uuid.UUID]
    not_found: list[str] = field(default_factory=list)
    columns: Sequence[str] = MEMBER_COLUMNS
    downloadable: int = 0
    not_ready: int = 0

    @classmethod
    def of_selection(cls, values: Iterable[str]) -> ClipZip:
        """The clips named by `ids` values (each one id, or several separated by commas), the
        team's gallery being what every member may download."""
        asked: dict[uuid.UUID, None] = {}
        not_found: list[str] = []
        for value in values:
            for text in ID_SEPARATORS.split(value.strip()):
                if not text:
                    continue
                try:
                    asked[uuid.UUID(text)] = None
                except ValueError:
                    not_found.append(text[:64])
        if len(asked) + len(not_found) > MAX_IDS:
            return cls([], not_found, downloadable=-1)
        shown = Generation.objects.visible().filter(pk__in=list(asked))
        states = dict(shown.values_list("pk", "video"))
        ids = [pk for pk in asked if pk in states]
        not_found += [str(pk) for pk in asked if pk not in states]
        ready = sum(1 for pk in ids if states[pk])
        return cls(ids, not_found, downloadable=ready, not_ready=len(ids) - ready)

    @classmethod
    def of_board(cls, board: Board) -> ClipZip:
        """A board's clips still in the gallery, in its order (ids only: a board may hold
        thousands)."""
        rows = list(board.shown_items().values_list("generation_id", "generation__video"))
        ready = sum(1 for _, video in rows if video)
        return cls([pk for pk, _ in rows], downloadable=ready, not_ready=len(rows) - ready)

    @classmethod
    def of_clips(cls, clips: Sequence[Generation], columns: Sequence[str]) -> ClipZip:
        """These clips, in this order (a board's, or a share link's)."""
        ready = sum(1 for clip in clips if clip.video)
        return cls(
            [clip.pk for clip in clips],
            columns=columns,
            downloadable=ready,
            not_ready=len(clips) - ready,
        )

    def problem(
        self, what: str = "the selected clips", empty: str = NOTHING_SELECTED
    ) -> str | None:
        """Why this ZIP would be no use, in words; None if it holds at least one clip."""
        if self.downloadable < 0:
            return TOO_MANY
        if self.downloadable:
            return None
        if not self.ids and not self.not_found:
            return empty
        reasons = []
        if self.not_ready:
            reasons.append(f"{counted(self.not_ready, 'is', 'are')} not finished yet")
        if self.not_found:
            reasons.append(f"{counted(len(self.not_found), 'is', 'are')} no longer in the gallery")
        return f"None of {what} can be downloaded: {' and '.join(reasons)}."

    def response(self, filename: str) -> StreamingHttpResponse:
        response = StreamingHttpResponse(self.chunks(), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response

    def chunks(self) -> Iterator[bytes]:
        """The ZIP's bytes: one clip at a time, then the manifest and the ZIP's directory."""
        archive = ZipStream(compress_type=ZIP_STORED)
        names: set[str] = {MANIFEST}
        rows: list[dict[str, str]] = []
        written: set[uuid.UUID] = set()
        for batch in batches(self.ids, BATCH):
            found = (
                Generation.objects.visible()
                .for_cards()
                .annotate(credits=committed_credits())
                .in_bulk(batch)
            )
            for pk in batch:
                clip = found.get(pk)
                if clip is None:
                    continue  # deleted since the ZIP began: named with the others at the end
                written.add(pk)
                if not clip.video:
                    rows.append(self.row(clip, "", f"not finished ({clip.get_status_display()})"))
                    continue
                handle = opened(clip.video.name or "")
                if handle is None:
                    rows.append(self.row(clip, "", "its file is missing"))
                    continue
                name = unique_name(clip.download_name, names)
                archive.add(read_in_chunks(handle), name)
                yield from archive.file()
                rows.append(self.row(clip, name, ""))
        gone = [str(pk) for pk in self.ids if pk not in written] + self.not_found
        if "note" in self.columns:
            rows += [{"id": text, "note": f"not in the ZIP: {NOT_FOUND}"} for text in gone]
        archive.add(manifest(rows, self.columns), MANIFEST)
        yield from archive.finalize()

    def row(self, clip: Generation, name: str, skipped: str) -> dict[str, str]:
        first_frame = "uploaded image" if clip.first_frame else (clip.first_frame_url or "none")
        return {
            "file": name,
            "id": str(clip.pk),
            "prompt": clip.prompt.text,
            "author": clip.owner.get_username(),
            "resolution": clip.resolution,
            "duration_seconds": str(clip.duration),
            "prompt_optimizer": "on" if clip.prompt_optimizer else "off",
            "first_frame": first_frame,
            "created": timezone.localtime(clip.created_at).isoformat(timespec="seconds"),
            "credits": str(clip.credits),  # type: ignore[attr-defined]
            "note": f"not in the ZIP: {skipped}" if skipped else "",
        }


def counted(number: int, one: str, many: str) -> str:
    return f"{number} {one}" if number == 1 else f"{number} {many}"


def batches(ids: list[uuid.UUID], size: int) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def opened(name: str) -> IO[bytes] | None:
    try:
        return default_storage.open(name, "rb")
    except (OSError, ValueError):
        return None


def read_in_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`… when a clip of the ZIP already has it."""
    stem, dot, suffix = name.rpartition(".")
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}{dot}{suffix}"
    taken.add(candidate)
    return candidate


def manifest(rows: list[dict[str, str]], columns: Sequence[str]) -> bytes:
    """The rows as CSV (UTF-8 with a byte-order mark, so spreadsheets read the accents)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: cell(row.get(column, "")) for column in columns})
    return text.getvalue().encode("utf-8-sig")


def cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value
