"""Rendering the jobs' clips off the request threads, in a small pool of daemon threads.

`full` renders every clip. `cached` renders one clip per (height, duration, width) and hands each
job a hard link (or copy) of it: benchmarks then measure the studio, not the simulator's ffmpeg.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .render import RenderError, clip_size, first_frame_size, render_clip

log = logging.getLogger(__name__)

RENDER_MODES = ("full", "cached")


@dataclass(frozen=True)
class ClipOrder:
    job_id: str
    destination: Path
    prompt: str
    height: int
    duration: int
    image: Path | None


# Told when a clip is ready (error None) or could not be made (error message).
RenderedSink = Callable[[str, str | None], None]


class ClipMaker:
    def __init__(self, mode: str, cache_dir: Path, on_done: RenderedSink, workers: int = 2) -> None:
        if mode not in RENDER_MODES:
            raise ValueError(f"render mode must be one of {RENDER_MODES}, not {mode!r}")
        self.mode = mode
        self.cache_dir = cache_dir
        self._on_done = on_done
        self._orders: queue.Queue[ClipOrder | None] = queue.Queue()
        self._cache_locks: dict[Path, threading.Lock] = {}
        self._cache_locks_guard = threading.Lock()
        self._threads = [
            threading.Thread(target=self._work, name=f"simulator-render-{n}", daemon=True)
            for n in range(workers)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def schedule(self, order: ClipOrder) -> None:
        self._orders.put(order)

    def stop(self, timeout: float = 10.0) -> None:
        """Drop the orders not started yet and wait a little for the renders under way."""
        while True:
            try:
                self._orders.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._orders.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def _work(self) -> None:
        while (order := self._orders.get()) is not None:
            try:
                self._make(order)
            except RenderError as exc:
                log.warning("Rendering job %s failed: %s", order.job_id, exc)
                self._on_done(order.job_id, f"Rendering failed: {exc}")
            except Exception as exc:  # a worker must survive anything, and the job must end
                log.exception("Rendering job %s crashed", order.job_id)
                self._on_done(order.job_id, f"Rendering failed: {type(exc).__name__}")
            else:
                self._on_done(order.job_id, None)

    def _make(self, order: ClipOrder) -> None:
        # render_clip writes atomically, so the file server never sees half a clip.
        image = order.image.read_bytes() if order.image else None
        if self.mode == "full":
            self._render(order.destination, order, image)
        else:
            _link_or_copy(self._cached(order, image), order.destination)

    def _cached(self, order: ClipOrder, image: bytes | None) -> Path:
        width, height = clip_size(order.height, _image_size(image))
        path = self.cache_dir / f"{width}x{height}-{order.duration}s.mp4"
        with self._cache_lock(path):
            if not path.exists():
                self._render(path, order, image)
        return path

    def _render(self, destination: Path, order: ClipOrder, image: bytes | None) -> None:
        render_clip(
            destination,
            prompt=order.prompt,
            height=order.height,
            duration=order.duration,
            image=image,
        )

    def _cache_lock(self, path: Path) -> threading.Lock:
        with self._cache_locks_guard:
            return self._cache_locks.setdefault(path, threading.Lock())


def _image_size(image: bytes | None) -> tuple[int, int] | None:
    # As shown, after EXIF rotation: a sideways-stored phone portrait is a portrait clip.
    return first_frame_size(image) if image is not None else None


def _link_or_copy(source: Path, destination: Path) -> None:
    partial = destination.with_name(f".{destination.name}.part")
    partial.unlink(missing_ok=True)
    try:
        os.link(source, partial)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(source, partial)
    os.replace(partial, destination)
