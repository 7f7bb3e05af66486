"""What the simulator's clips show: a slow camera move over a first-frame image, or a procedural
landscape coloured from the prompt and showing its words. Frames come out as raw RGB bytes."""

from __future__ import annotations

import colorsys
import contextlib
import hashlib
import io
import math
import random
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

LABEL = "HAILUO 2.3 FAST  \u00b7  SIMULATED"

RGB = tuple[int, int, int]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# Fonts with wider coverage than Pillow's built-in Aileron, used only for prompts it can't show.
SYSTEM_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)


# --- shared helpers ------------------------------------------------------------------------------


def prompt_rng(prompt: str) -> random.Random:
    # sha256, not hash(): the same prompt must give the same clip in every process.
    digest = hashlib.sha256(prompt.encode("utf-8", errors="replace")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _smoothstep(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def _ease(t: float) -> float:
    """Mostly smoothstep, with some linear mixed in so the camera is already moving at frame 1."""
    return 0.3 * min(max(t, 0.0), 1.0) + 0.7 * _smoothstep(t)


def open_image(data: bytes) -> Image.Image:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened)  # phones store portraits sideways + a tag
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                # Transparent areas would come out black; put them on a neutral light grey.
                rgba = image.convert("RGBA")
                image = Image.new("RGBA", rgba.size, (236, 236, 236, 255))
                image.alpha_composite(rgba)
            return image.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"the first-frame image cannot be read: {exc}") from exc


# --- clips from a first-frame image --------------------------------------------------------------


def camera_move(
    source: Image.Image, size: tuple[int, int], count: int, seconds: int, rng: random.Random
) -> Iterator[bytes]:
    """A slow push-in or pan that starts exactly on the image.

    A "master" copy is made once at the largest zoom the move reaches, so every frame is a
    downscale (never a blurry upscale) of a float crop window: Pillow's resize with a float box
    is sub-pixel exact, which avoids the stepping of ffmpeg's zoompan.
    """
    width, height = size
    path = _CameraPath.choose(rng, seconds, landscape=width >= height)
    master_w, master_h = round(width * path.zoom), round(height * path.zoom)
    master = source.resize(
        (master_w, master_h),
        Image.Resampling.LANCZOS,
        box=_cover_box(source.size, master_w / master_h),
        reducing_gap=3.0,  # big photos: shrink by whole factors first, much faster
    )

    def render(index: int) -> bytes:
        scale, anchor_x, anchor_y = path.at(index / max(1, count - 1))
        window_w, window_h = master_w / scale, master_h / scale
        left = anchor_x * (master_w - window_w)
        top = anchor_y * (master_h - window_h)
        box = (left, top, left + window_w, top + window_h)
        return master.resize(size, Image.Resampling.BILINEAR, box=box).tobytes()

    return _in_parallel(render, count)


def _in_parallel(render: Callable[[int], bytes], count: int, ahead: int = 6) -> Iterator[bytes]:
    """render(0), render(1)... in order, computed a few frames ahead by two threads: Pillow's
    resampling releases the GIL, so this keeps both cores busy alongside ffmpeg."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="clip-frames") as pool:
        pending: deque[Future[bytes]] = deque()
        for index in range(count):
            pending.append(pool.submit(render, index))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


@dataclass(frozen=True)
class _CameraPath:
    """Where the camera looks at time t (0..1): a zoom factor (1 = all of the image) and the
    point of the image, as fractions of its size, that stays put on screen while zooming."""

    push_in: bool
    zoom: float  # reached at the end
    anchor: tuple[float, float]  # push-in: the point zoomed towards; pan: (start, across)
    horizontal: bool

    @classmethod
    def choose(cls, rng: random.Random, seconds: int, *, landscape: bool) -> _CameraPath:
        if rng.random() < 0.5:
            zoom = 1 + min(0.25, 0.03 * seconds)
            return cls(True, zoom, (rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)), landscape)
        # Pan along the long side, from one edge (0 or 1) to the other.
        zoom = 1 + min(0.22, 0.06 + 0.015 * seconds)
        return cls(False, zoom, (rng.choice((0.0, 1.0)), rng.uniform(0.35, 0.65)), landscape)

    def at(self, t: float) -> tuple[float, float, float]:
        if self.push_in:
            return self.zoom ** _ease(t), *self.anchor
        # Zoom in early (frame 0 has to show all of the image) while the window slides across.
        start, across = self.anchor
        along = start + (1 - 2 * start) * _ease(t)
        anchor = (along, across) if self.horizontal else (across, along)
        return self.zoom ** _smoothstep(t / 0.4), *anchor


def _cover_box(size: tuple[int, int], aspect: float) -> tuple[float, float, float, float]:
    """The centred crop of an image of `size` that has the given aspect ratio."""
    width, height = size
    if width / height > aspect:
        crop = height * aspect
        return ((width - crop) / 2, 0.0, (width + crop) / 2, float(height))
    crop = width / aspect
    return (0.0, (height - crop) / 2, float(width), (height + crop) / 2)


# --- procedural clips without an image -----------------------------------------------------------


def _hls(hue: float, lightness: float, saturation: float) -> RGB:
    red, green, blue = colorsys.hls_to_rgb(hue % 1.0, lightness, saturation)
    return round(red * 255), round(green * 255), round(blue * 255)


def _mix(a: RGB, b: RGB, amount: float) -> RGB:
    red, green, blue = (round(x + (y - x) * amount) for x, y in zip(a, b, strict=True))
    return red, green, blue


WHITE: RGB = (255, 255, 255)


@dataclass(frozen=True)
class _Palette:
    mood: str
    sky: tuple[RGB, RGB, RGB]  # zenith, middle, horizon
    sun: RGB
    glow: RGB
    cloud: RGB
    cloud_alpha: float
    hills: tuple[RGB, RGB, RGB]  # far to near
    haze: RGB
    spark: RGB
    panel: RGB

    @classmethod
    def from_rng(cls, rng: random.Random) -> _Palette:
        mood = rng.choices(("dawn", "day", "dusk", "night"), weights=(2, 3, 3, 2))[0]
        # Cyan through blue, purple and red to orange: the yellow-green part of the hue circle
        # never reads as a sky, so the gradient also bends away from it near either end.
        hue = rng.uniform(0.5, 1.07)
        direction = 1 if hue < 0.58 else -1 if hue > 0.99 else rng.choice((-1, 1))
        shift = rng.uniform(0.04, 0.12) * direction
        hue %= 1.0
        land = hue + rng.uniform(0.3, 0.7)
        lightness, saturation = {
            "day": ((0.44, 0.64, 0.84), 0.62),
            "dawn": ((0.28, 0.52, 0.78), 0.66),
            "dusk": ((0.16, 0.36, 0.64), 0.72),
            "night": ((0.07, 0.15, 0.3), 0.5),
        }[mood]
        top, middle, horizon = (
            _hls(hue + shift * k / 2, lightness[k], saturation) for k in range(3)
        )
        haze = horizon
        night = mood == "night"
        sun = _hls(hue + shift * 1.6, 0.9, 0.25) if night else _hls(hue + shift * 1.6, 0.9, 1.0)
        glow = _hls(hue + shift * 1.3, 0.7, 0.35 if night else 0.9)
        hill_light = (0.16, 0.1, 0.04) if night else (0.42, 0.27, 0.11)
        far, mid, near = (
            _mix(_hls(land + 0.03 * k, hill_light[k], 0.5), haze, (0.5, 0.25, 0.05)[k])
            for k in range(3)
        )
        cloud = _mix(middle, WHITE, 0.25) if night else _mix(glow, WHITE, 0.55)
        return cls(
            mood=mood,
            sky=(top, middle, horizon),
            sun=sun,
            glow=glow,
            cloud=cloud,
            cloud_alpha=0.35 if night else 0.75,
            hills=(far, mid, near),
            haze=haze,
            spark=_mix(sun, WHITE, 0.4),
            panel=_hls(hue, 0.08, 0.4),
        )


@dataclass(frozen=True)
class _Layer:
    """A range of hills as a strip wider than the frame by everything it scrolls. Only the
    band around the ridge needs (slow) alpha blending; below it the ground is opaque, and only
    down to where the next range covers it completely."""

    edge: Image.Image  # RGBA
    edge_top: int
    solid: Image.Image | None  # RGB
    solid_top: int
    speed: int  # pixels per frame (whole pixels scroll perfectly smoothly)


@dataclass(frozen=True)
class _Cloud:
    image: Image.Image  # RGBA
    x: int  # in the strip the clouds scroll across
    y: int


@dataclass(frozen=True)
class _Spark:
    x: float
    y: float
    rise: float  # px/s
    sway: float  # px
    sway_period: float  # s
    radius: float
    phase: float


class Landscape:
    """A layered parallax landscape (sky, sun, clouds, three ranges of hills, drifting sparks)
    with the prompt on a translucent card. Everything that does not move per frame is drawn
    once; each frame is a handful of pastes, about 5 ms at 768p."""

    PHASES = 8  # sub-pixel positions pre-rendered for things that move slower than 1 px/frame

    def __init__(
        self, prompt: str, size: tuple[int, int], count: int, fps: int, rng: random.Random
    ) -> None:
        self.size, self.count, self.fps = size, count, fps
        width, height = size
        self.unit = height / 768
        self.palette = palette = _Palette.from_rng(rng)
        self.sky = _sky(size, palette, rng)

        def speed(px_per_frame_at_24: float) -> int:
            return max(1, round(px_per_frame_at_24 * self.unit * 24 / fps))

        self.cloud_speed = speed(1) * rng.choice((1, -1))
        self.clouds = _clouds(size, palette, rng, width + abs(self.cloud_speed) * count)
        speeds = [speed(k + 1) for k in range(3)]
        ridges = [_ridge(k, width + speeds[k] * count + 1, size, rng) for k in range(3)]
        # Rows below a range's lowest ridge point are all ground, so hidden behind it.
        hidden = [math.ceil(ridge.max() + 0.5) for ridge in ridges[1:]] + [height]
        self.hills = [
            _hill_layer(k, ridges[k], hidden[k], size, palette, rng, speeds[k]) for k in range(3)
        ]

        radius = self.unit * {"day": 44, "dawn": 58, "dusk": 72, "night": 34}[palette.mood]
        sun = _sun_sprite(radius, palette)
        self.sun, self.sun_reach = _phased(sun, self.PHASES), sun.width // 2
        # Keep the sun off the middle, where the prompt card sits.
        side = rng.choice((rng.uniform(0.08, 0.18), rng.uniform(0.82, 0.92)))
        self.sun_x = round(side * width)
        start, rise = {
            "dawn": (0.58, -0.01),
            "day": (0.3, -0.004),
            "dusk": (0.5, 0.012),
            "night": (0.28, -0.003),
        }[palette.mood]
        self.sun_y, self.sun_rise = start * height, rise * height

        self.sparks = [
            _Spark(
                x=rng.uniform(0, width),
                y=rng.uniform(0.3, 1.0) * height,
                rise=rng.uniform(5, 22) * self.unit,
                sway=rng.uniform(4, 20) * self.unit,
                sway_period=rng.uniform(2.5, 6),
                radius=rng.uniform(1.1, 2.8) * self.unit,
                phase=rng.uniform(0, math.tau),
            )
            for _ in range(24)
        ]
        card = _prompt_card(prompt, size, palette)
        self.card = _phased(card, self.PHASES) if card else []
        self.card_x = (width - card.width) // 2 if card else 0
        self.card_y = 0.4 * height - (card.height / 2 if card else 0)
        self.card_drift = 0.025 * height  # the card floats up this far over the clip

    def frames(self) -> Iterator[bytes]:
        for index in range(self.count):
            yield self.frame(index).tobytes()

    def frame(self, index: int) -> Image.Image:
        seconds = index / self.fps
        t = index / max(1, self.count - 1)
        frame = self.sky.copy()
        reach = self.sun_reach
        _paste_phased(
            frame, self.sun, self.sun_x - reach, self.sun_y + self.sun_rise * seconds - reach
        )
        # Clouds drift left or right with the wind; a leftward drift starts at the strip's end.
        wind = self.cloud_speed
        offset = index * wind if wind > 0 else (index - self.count) * wind
        for cloud in self.clouds:
            x = cloud.x - offset
            if x < frame.width and x + cloud.image.width > 0:
                frame.paste(cloud.image, (x, cloud.y), cloud.image)
        for layer in self.hills:
            x = -index * layer.speed
            frame.paste(layer.edge, (x, layer.edge_top), layer.edge)
            if layer.solid is not None:
                frame.paste(layer.solid, (x, layer.solid_top))
        self._draw_sparks(frame, seconds)
        if self.card:
            y = self.card_y + self.card_drift * (0.5 - _ease(t))
            _paste_phased(frame, self.card, self.card_x, y)
        return frame

    def _draw_sparks(self, frame: Image.Image, seconds: float) -> None:
        height = self.size[1]
        span = height * 1.1
        for spark in self.sparks:
            x = spark.x + spark.sway * math.sin(
                math.tau * seconds / spark.sway_period + spark.phase
            )
            # Rise and wrap around, so the sky never runs out of sparks in a long clip.
            y = (spark.y - spark.rise * seconds) % span - 0.05 * height
            twinkle = 0.65 + 0.35 * math.sin(seconds * 2.1 + spark.phase * 3)
            patch, reach = _spark_patch(spark.radius, x % 1, y % 1, twinkle, self.palette.spark)
            frame.paste(patch, (math.floor(x) - reach, math.floor(y) - reach), patch)


def _phased(image: Image.Image, phases: int) -> list[Image.Image]:
    """`image` shifted down by 0, 1/phases, 2/phases... px (with a transparent row to spare),
    so slow vertical motion can be pasted at whole pixels yet move smoothly."""
    padded = Image.new("RGBA", (image.width, image.height + 2), (0, 0, 0, 0))
    padded.paste(image, (0, 0))
    return [
        padded.transform(
            padded.size,
            Image.Transform.AFFINE,
            (1, 0, 0, 0, 1, -k / phases),
            Image.Resampling.BILINEAR,
        )
        for k in range(phases)
    ]


def _paste_phased(frame: Image.Image, phased: list[Image.Image], x: int, y: float) -> None:
    whole = math.floor(y)
    phase = round((y - whole) * len(phased))
    if phase == len(phased):
        whole, phase = whole + 1, 0
    sprite = phased[phase]
    frame.paste(sprite, (x, whole), sprite)


def _sky(size: tuple[int, int], palette: _Palette, rng: random.Random) -> Image.Image:
    width, height = size
    rows = np.linspace(0.0, 1.0, height)
    stops = (0.0, 0.42, 0.7, 1.0)
    colours = (*palette.sky, palette.sky[2])
    column = np.stack(
        [np.interp(rows, stops, [c[channel] for c in colours]) for channel in range(3)], axis=1
    )
    noise = np.random.default_rng(rng.getrandbits(32))
    # Half a level of dither hides the banding a smooth 8-bit gradient would show.
    sky = column[:, None, :] + noise.uniform(-0.5, 0.5, (height, width, 1))
    if palette.mood in ("night", "dusk"):
        count = int(width * height / (2500 if palette.mood == "night" else 9000))
        xs = noise.integers(0, width, count)
        ys = (noise.random(count) ** 1.6 * 0.6 * height).astype(int)
        brightness = noise.random(count) ** 2 * (1 - ys / (0.6 * height))
        sky[ys, xs] += (255 - sky[ys, xs]) * brightness[:, None]
    # A vignette darkens the corners; baked into the sky only, as blending it over every whole
    # frame would cost more than drawing the rest of the frame.
    ys = np.linspace(-1.0, 1.0, height)[:, None]
    xs = np.linspace(-1.0, 1.0, width)[None, :]
    distance = np.sqrt(xs**2 * 0.8 + ys**2)
    sky *= (1 - 0.45 * np.clip(distance - 0.5, 0, 1) ** 1.5)[..., None]
    return Image.fromarray(np.clip(sky, 0, 255).astype(np.uint8), "RGB")


def _sun_sprite(radius: float, palette: _Palette) -> Image.Image:
    reach = math.ceil(radius * 4)
    grid = np.arange(2 * reach + 1, dtype=np.float32) - reach
    distance = np.hypot(grid[None, :], grid[:, None])
    disc = np.clip(radius - distance + 0.5, 0, 1)
    strength = 0.45 if palette.mood == "night" else 1.0
    glow = strength * (
        0.5 * np.exp(-((distance / (1.5 * radius)) ** 2))
        + 0.25 * np.exp(-distance / (1.6 * radius))
    )
    glow *= np.clip((reach - distance) / (0.5 * reach), 0, 1)  # fade out before the sprite edge
    alpha = disc + (1 - disc) * glow
    colour = (
        np.array(palette.glow)[None, None, :] * (1 - disc[..., None])
        + np.array(palette.sun)[None, None, :] * disc[..., None]
    )
    rgba = np.dstack([colour, alpha * 255])
    return Image.fromarray(np.clip(rgba, 0, 255).astype(np.uint8), "RGBA")


def _clouds(
    size: tuple[int, int], palette: _Palette, rng: random.Random, strip: int
) -> list[_Cloud]:
    """Soft cumulus sprites spread along a strip `strip` px wide."""
    width, height = size
    blur = 0.01 * height
    margin = math.ceil(3 * blur)
    clouds = []
    x = rng.uniform(-0.15, 0.05) * width
    while x < strip:
        cloud_w = rng.uniform(0.12, 0.3) * width
        cloud_h = cloud_w * rng.uniform(0.2, 0.32)
        base = rng.uniform(0.14, 0.44) * height
        box_w, box_h = math.ceil(cloud_w * 1.2) + 2 * margin, math.ceil(cloud_h * 1.3) + 2 * margin
        left, top = x - 0.1 * cloud_w - margin, base - cloud_h * 1.3 - margin
        mask = Image.new("L", (box_w, box_h), 0)
        draw = ImageDraw.Draw(mask)
        # A flat rounded base with puffs along its top.
        floor = base - top
        draw.rounded_rectangle(
            (x - left, floor - 0.4 * cloud_h, x - left + cloud_w, floor),
            radius=0.2 * cloud_h,
            fill=255,
        )
        for _ in range(rng.randint(4, 7)):
            centre = x - left + rng.uniform(0.15, 0.85) * cloud_w
            puff = rng.uniform(0.3, 0.55) * cloud_h
            lift = floor - 0.35 * cloud_h - rng.uniform(0, 0.3) * cloud_h
            draw.ellipse((centre - puff * 1.3, lift - puff, centre + puff * 1.3, lift + puff), 255)
        mask = mask.filter(ImageFilter.GaussianBlur(blur))
        alpha = np.asarray(mask, dtype=np.float32) * palette.cloud_alpha
        # Lit from above: lighter tops, a touch of shadow underneath.
        shade = np.linspace(1.0, 0.86, box_h, dtype=np.float32)[:, None, None]
        colour = np.array(palette.cloud, dtype=np.float32)[None, None, :] * shade
        rgba = np.dstack([np.broadcast_to(colour, (*alpha.shape, 3)), alpha])
        image = Image.fromarray(rgba.astype(np.uint8), "RGBA")
        clouds.append(_Cloud(image, round(left), round(top)))
        x += cloud_w + rng.uniform(0.08, 0.4) * width
    return clouds


def _ridge(k: int, strip: int, size: tuple[int, int], rng: random.Random) -> np.ndarray:
    """Height of hill range `k` (0 = far) at each column of its strip, in frame pixels."""
    width, height = size
    xs = np.arange(strip, dtype=np.float64) / width
    shape = np.zeros(strip)
    if k == 0:  # far mountains: sharp peaks
        for cycles, weight in ((rng.uniform(1.3, 2.2), 1.0), (rng.uniform(3, 5), 0.4)):
            shape += weight * (1 - np.abs(np.sin(math.pi * cycles * xs + rng.uniform(0, 3))))
    else:  # rolling hills
        for cycles, weight in ((rng.uniform(0.7, 1.3), 1.0), (rng.uniform(2, 3.5), 0.35)):
            shape += weight * np.sin(math.tau * cycles * xs + rng.uniform(0, math.tau))
    for cycles in (rng.uniform(9, 14), rng.uniform(25, 40)):
        shape += 0.04 * np.sin(math.tau * cycles * xs + rng.uniform(0, math.tau))
    shape = (shape - shape.min()) / max(1e-6, np.ptp(shape))
    base = (0.64, 0.75, 0.87)[k] * height
    amplitude = (0.2, 0.1, 0.07)[k] * height
    return base - amplitude * shape


def _hill_layer(
    k: int,
    ridge: np.ndarray,
    hidden: int,
    size: tuple[int, int],
    palette: _Palette,
    rng: random.Random,
    speed: int,
) -> _Layer:
    """Range `k` (0 = far) down to row `hidden`, where the next range covers it."""
    strip, height = len(ridge), size[1]
    trees = k == 2
    top = max(0, math.floor(ridge.min() - (0.12 * height if trees else 0)) - 2)
    rows = np.arange(top, hidden, dtype=np.float64)[:, None]
    # Anti-aliased edge: coverage of each pixel by the ground below the ridge line.
    alpha = np.clip(rows - ridge[None, :] + 0.5, 0, 1)
    if trees:
        alpha = np.maximum(alpha, _tree_mask(ridge, top, (strip, hidden - top), height, rng))
    # Mist gathers low in the far ranges; the nearest one just darkens towards the bottom.
    depth = np.clip((rows[:, 0] - ridge.mean()) / (0.16 * height), 0, 1)
    base_colour = np.array(palette.hills[k], dtype=np.float32)
    if k < 2:
        target = np.array(palette.haze, dtype=np.float32)
        colour = base_colour + (target - base_colour) * (0.55 * depth**1.5)[:, None]
    else:
        colour = base_colour * (1 - 0.45 * depth)[:, None]
    rgba = np.dstack(
        [np.broadcast_to(colour[:, None, :], (*alpha.shape, 3)), alpha.astype(np.float32) * 255]
    ).astype(np.uint8)
    split = min(hidden, math.ceil(ridge.max() + 0.5)) - top  # first all-ground row
    edge = Image.fromarray(np.ascontiguousarray(rgba[:split]), "RGBA")
    solid = (
        Image.fromarray(np.ascontiguousarray(rgba[split:, :, :3]), "RGB")
        if split < len(rgba)
        else None
    )
    return _Layer(edge, top, solid, top + split, speed)


def _tree_mask(
    ridge: np.ndarray, top: int, size: tuple[int, int], height: int, rng: random.Random
) -> np.ndarray:
    """Stands of pine silhouettes along the nearest ridge, drawn at 2x for smooth edges."""
    strip, rows = size
    big = Image.new("L", (strip * 2, rows * 2), 0)
    draw = ImageDraw.Draw(big)
    x = rng.uniform(0, 0.1) * height
    while x < strip:
        if rng.random() < 0.55:  # a stand of trees, then a gap
            for _ in range(rng.randint(3, 9)):
                tall = rng.uniform(0.05, 0.11) * height
                ground = ridge[min(strip - 1, int(x))] - top + 0.01 * height
                half = tall * 0.22
                for tier in range(3):  # three stacked triangles read as a pine
                    tip = ground - tall + tier * tall * 0.25
                    wide = half * (0.6 + 0.3 * tier)
                    base = tip + tall * 0.45
                    points = [(x, tip), (x - wide, base), (x + wide, base)]
                    draw.polygon([(2 * px, 2 * py) for px, py in points], fill=255)
                draw.rectangle((2 * x - 1, 2 * (ground - tall * 0.2), 2 * x + 1, 2 * ground), 255)
                x += rng.uniform(0.25, 0.6) * half * 2
        x += rng.uniform(0.05, 0.3) * height
    small = big.resize((strip, rows), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float64) / 255


@cache
def _spark_grid(reach: int) -> np.ndarray:
    return np.arange(-reach, reach + 1, dtype=np.float32)


def _spark_patch(
    radius: float, fx: float, fy: float, brightness: float, colour: RGB
) -> tuple[Image.Image, int]:
    """A soft glowing dot centred (fx, fy) px past the middle pixel: sub-pixel smooth."""
    reach = math.ceil(radius * 3.5)
    grid = _spark_grid(reach)
    d2 = (grid[None, :] - fx) ** 2 + (grid[:, None] - fy) ** 2
    alpha = np.exp(-d2 / (0.5 * radius * radius)) + 0.35 * np.exp(-d2 / (4 * radius * radius))
    rgba = np.empty((*d2.shape, 4), dtype=np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = np.clip(alpha * brightness * 255, 0, 255)
    return Image.fromarray(rgba, "RGBA"), reach


# --- the prompt card -----------------------------------------------------------------------------


@cache
def _builtin_font(size: int) -> Font:
    return ImageFont.load_default(size=size)


@cache
def _system_font(size: int) -> Font | None:
    for path in SYSTEM_FONTS:
        if Path(path).is_file():
            with contextlib.suppress(OSError):
                return ImageFont.truetype(path, size)
    return None


@cache
def _builtin_has(char: str) -> bool:
    """Whether Pillow's built-in font has a glyph for `char` (else it draws a box)."""
    font = _builtin_font(24)
    if not isinstance(font, ImageFont.FreeTypeFont):
        return char.isascii()
    missing = font.getmask("\uffff")
    mask = font.getmask(char)
    return mask.size != missing.size or bytes(mask) != bytes(missing)


def _fold(text: str) -> str:
    """Replace characters the built-in font lacks by close ones it has (é -> e, - for dashes)."""
    out = []
    for char in text:
        if not _builtin_has(char):
            plain = "".join(c for c in unicodedata.normalize("NFKD", char) if c.isascii())
            char = plain or {"\u2013": "-", "\u2014": "-", "\u2022": "\u00b7"}.get(char, char)
        out.append(char)
    return "".join(out)


@dataclass(frozen=True)
class _Face:
    """A font at a pixel size; a fixed-size bitmap font (Pillow without FreeType) is drawn
    small and blown up by `scale`."""

    font: Font
    scale: float

    @classmethod
    def get(cls, size: int, wide_coverage: bool) -> _Face:
        font = (_system_font(size) if wide_coverage else None) or _builtin_font(size)
        if isinstance(font, ImageFont.FreeTypeFont):
            return cls(font, 1.0)
        return cls(font, size / 11)  # the bitmap default is about 11 px tall

    def width(self, text: str) -> float:
        return self.font.getlength(text) * self.scale

    def mask(self, lines: list[str], line_height: int, width: int) -> Image.Image:
        """The lines, centred, white on black, `line_height` apart."""
        scale = self.scale
        small = Image.new(
            "L", (math.ceil(width / scale), math.ceil(line_height * len(lines) / scale))
        )
        draw = ImageDraw.Draw(small)
        scalable = isinstance(self.font, ImageFont.FreeTypeFont)
        for row, line in enumerate(lines):
            x = (small.width - self.font.getlength(line)) / 2
            if scalable:
                middle = (row + 0.5) * line_height
                draw.text((x, middle), line, 255, self.font, anchor="lm")
            else:  # bitmap fonts know no anchors: place the ~11 px glyph box by hand
                top = (row * line_height + (line_height - 11 * scale) / 2) / scale
                draw.text((x, top), line, 255, self.font)
        if scale == 1.0:
            return small
        return small.resize((width, line_height * len(lines)), Image.Resampling.BICUBIC)


def _wrap(text: str, face: _Face, max_width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        while face.width(word) > max_width:  # a word longer than a line: break it anywhere
            fits = [i for i in range(1, len(word) + 1) if face.width(word[:i]) <= max_width]
            cut = max(fits, default=1)
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if face.width(candidate) <= max_width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _fit_text(
    text: str, max_width: float, max_height: float, largest: int, smallest: int
) -> tuple[_Face, list[str], int]:
    """The biggest face (down to `smallest`) at which the wrapped text fits; past that, as many
    lines as fit, the last ending in an ellipsis."""
    folded = _fold(text)
    wide = not all(_builtin_has(char) for char in folded)
    text = text if wide and _system_font(smallest) else folded
    for size in range(largest, smallest - 1, -2):
        face = _Face.get(size, wide)
        lines = _wrap(text, face, max_width)
        line_height = round(size * 1.3)
        if len(lines) * line_height <= max_height:
            return face, lines, line_height
    keep = max(1, int(max_height // line_height))
    lines = lines[:keep]
    last = lines[-1]
    while last and face.width(last + " \u2026") > max_width:
        # Drop whole words while there are several, else characters.
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    lines[-1] = last + " \u2026"
    return face, lines, line_height


def _prompt_card(prompt: str, size: tuple[int, int], palette: _Palette) -> Image.Image | None:
    """The prompt on a translucent dark card with a drop shadow, as one RGBA image."""
    text = " ".join(prompt.split())
    if not text:
        return None
    width, height = size
    face, lines, line_height = _fit_text(
        text, 0.7 * width, 0.3 * height, round(height * 0.058), round(height * 0.03)
    )
    text_mask = face.mask(lines, line_height, max(1, math.ceil(max(face.width(x) for x in lines))))
    label_face = _Face.get(max(11, round(height * 0.017)), False)
    label_height = round(height * 0.017 * 1.6)
    label_mask = label_face.mask([LABEL], label_height, math.ceil(label_face.width(LABEL)) + 2)

    pad = round(line_height * 0.6)
    inner_w = max(text_mask.width, label_mask.width)
    card_w = inner_w + 2 * pad
    card_h = label_height + round(pad * 0.35) + text_mask.height + 2 * pad
    margin = round(height * 0.03)  # room for the soft shadow
    card = Image.new("RGBA", (card_w + 2 * margin, card_h + 2 * margin), (0, 0, 0, 0))
    box = (margin, margin, margin + card_w, margin + card_h)
    radius = round(pad * 0.8)

    shadow = Image.new("L", card.size, 0)
    ImageDraw.Draw(shadow).rounded_rectangle(box, radius, fill=90)
    shadow = shadow.filter(ImageFilter.GaussianBlur(margin / 2.5))
    card.paste((0, 0, 0, 255), (0, round(margin * 0.2)), shadow)
    panel = Image.new("L", card.size, 0)
    ImageDraw.Draw(panel).rounded_rectangle(box, radius, fill=150)
    card.alpha_composite(
        Image.merge("RGBA", (*Image.new("RGB", card.size, palette.panel).split(), panel))
    )

    label_at = ((card.width - label_mask.width) // 2, margin + pad)
    card.paste((*palette.spark, 255), label_at, label_mask.point(lambda v: v * 210 // 255))
    text_at = ((card.width - text_mask.width) // 2, label_at[1] + label_height + round(pad * 0.35))
    glyph_shadow = Image.new("L", card.size, 0)
    glyph_shadow.paste(text_mask, (text_at[0], text_at[1] + max(1, line_height // 24)))
    glyph_shadow = glyph_shadow.filter(ImageFilter.GaussianBlur(max(1, line_height / 22)))
    card.paste((0, 0, 0, 255), (0, 0), glyph_shadow.point(lambda v: v * 200 // 255))
    card.paste((255, 255, 255, 255), text_at, text_mask)
    return card
