"""The reels benchmark: 10 real shots, rendered by the simulator's renderer as Hailuo makes them
(H.264, 768p, 6 s each), stitched into one reel by the real task (each shot read through the
storage, the reel saved through it) in a studio of its own: once by stream copy (ten alike
shots), once by re-encode (one portrait shot among them, so all ten are scaled, padded and
encoded again). Reported: the time each stitch takes (the median of ROUNDS), ffmpeg's CPU time,
and the length and size of the reel made.

    python -m tooling.benchmarks.reels measure SHOTS ROUNDS     run inside the benchmark's studio
"""

from __future__ import annotations

import io
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .figures import Figure
from .processes import Stack

SHOTS = 10
SHOT_SECONDS = 6
HEIGHT = 768
ROUNDS = 3
MEMBER = "editor"


def run(folder: Path, *, shots: int = SHOTS, rounds: int = ROUNDS):
    stack = Stack(folder)
    stack.prepare()
    output = stack.python(
        "-m", "tooling.benchmarks.reels", "measure", str(shots), str(rounds), timeout=3600
    )
    results = json.loads(output.strip().splitlines()[-1])
    return figures(results), notes(results), results


def figures(results: dict) -> list[Figure]:
    shown = []
    for method, run in results["methods"].items():
        part = f"reels: {results['shots']} shots by {method}"
        shown += [
            Figure(part, "time to stitch", run["seconds"], "s",
                   note=f"median of {len(run['rounds'])}: {', '.join(map(str, run['rounds']))} s; "
                   "download, probe, ffmpeg, save"),
            Figure(part, "ffmpeg CPU time", run["cpu_seconds"], "s", note="median, at nice 19"),
            Figure(part, "reel length", run["duration"], "s",
                   note=f"{run['width']}×{run['height']}, {run['bytes'] / 1e6:.1f} MB; the shots "
                   f"last {results['shots_seconds']:g} s"),
        ]  # fmt: skip
    return shown


def notes(results: dict) -> list[str]:
    from .zips import commit

    return [
        f"{results['shots']} shots of {SHOT_SECONDS} s at {HEIGHT}p (1366×768, H.264 High, 24 fps, "
        "no audio), rendered by the simulator's renderer and kept in the studio's storage on disk. "
        f"Stream copy: the ten alike. Re-encode: one of them swapped for a portrait shot "
        f"({results['portrait']}), so every shot is scaled to fit 1366×768, padded with black "
        "and encoded again (libx264 veryfast, CRF 20).",
        "Each round runs the reel's task as the cluster does (generations.pipeline.reels."
        "make_reel): claim, download each shot through the storage, probe, ffmpeg at nice 19, "
        "probe the result, save it through the storage, record it. Rounds alternate the two "
        "ways; an edit between rounds makes the reel stale so it is made again.",
        f"Rendering the shots took {results['render_seconds']:g} s (not counted). Commit {commit()}.",
    ]


# Inside the benchmark's studio ------------------------------------------------------------------


def render_shots(count: int, folder: Path) -> tuple[list[Path], Path]:
    """`count` landscape shots and one portrait shot, each of its own prompt."""
    from PIL import Image

    from apiframe_simulator.render import render_clip

    shots = [
        render_clip(folder / f"shot-{n}.mp4", prompt=f"Reel benchmark shot {n}: a harbour at "
                    f"dawn, boats leaving one by one ({n})", height=HEIGHT, duration=SHOT_SECONDS)
        for n in range(count)
    ]  # fmt: skip
    portrait = io.BytesIO()
    Image.linear_gradient("L").resize((540, 960)).convert("RGB").save(portrait, "PNG")
    tall = render_clip(
        folder / "portrait.mp4",
        prompt="Reel benchmark: a lighthouse, upright",
        height=HEIGHT,
        duration=SHOT_SECONDS,
        image=portrait.getvalue(),
    )
    return shots, tall


def measure(count: int, rounds: int) -> dict:
    import uuid

    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from generations import stitching
    from generations.models import Generation, Prompt
    from generations.models.reels import Reel
    from generations.pipeline import reels as making

    member = get_user_model().objects.create_user(MEMBER, password=uuid.uuid4().hex)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        shots, tall = render_shots(count, Path(folder))
        render_seconds = round(time.perf_counter() - began, 1)
        clips = []
        for path in [*shots, tall]:
            pk = uuid.uuid4()
            with path.open("rb") as content:
                name = default_storage.save(f"clips/{pk}.mp4", File(content))
            prompt = Prompt.record_use(f"Reel benchmark clip {path.stem}", member)
            clips.append(
                Generation.objects.create(
                    id=pk, owner=member, prompt=prompt, status="completed", video=name,
                    progress=100, settled_at=timezone.now(), credit_cost=5,
                    duration=SHOT_SECONDS, job_id=str(uuid.uuid4()),
                )
            )  # fmt: skip
        portrait = stitching.probe(tall)
    landscape, upright = clips[:count], clips[count]
    reels = {
        stitching.COPY: landscape,
        stitching.REENCODE: [*landscape[: count // 2], upright, *landscape[count // 2 + 1 :]],
    }
    made: dict[str, Reel] = {}
    for method, shots_of in reels.items():
        reel = Reel.make(name=f"Benchmark by {method}", by=member)
        reel.add([clip.pk for clip in shots_of], by=member)
        made[method] = reel
    timings: dict[str, list[float]] = {method: [] for method in reels}
    cpu: dict[str, list[float]] = {method: [] for method in reels}
    for _ in range(rounds):
        for method, reel in made.items():
            first = reel.ordered_shots()[0]
            reel.move(first.pk, 1)  # an edit and its undo: the same order, a new version
            reel.move(first.pk, -1)
            reel.request_making()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            outcome = making.make_reel(reel.pk)
            timings[method].append(round(time.perf_counter() - start, 2))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[method].append(
                round(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime, 2)
            )
            reel.refresh_from_db()
            if reel.method != method or not outcome.startswith("made"):
                raise RuntimeError(
                    f"the {method} reel was {outcome} by {reel.method}: {reel.error}"
                )
    results = {}
    for method, reel in made.items():
        results[method] = {
            "rounds": timings[method],
            "seconds": statistics.median(timings[method]),
            "cpu_seconds": statistics.median(cpu[method]),
            "duration": round(reel.duration or 0, 2),
            "width": reel.width,
            "height": reel.height,
            "bytes": reel.file.size,
        }
    return {
        "shots": count,
        "shots_seconds": count * SHOT_SECONDS,
        "portrait": f"{portrait.width}×{portrait.height}",
        "render_seconds": render_seconds,
        "methods": results,
    }


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1:2] != ["measure"]:
        raise SystemExit(__doc__)
    print(json.dumps(measure(int(sys.argv[2]), int(sys.argv[3]))))
