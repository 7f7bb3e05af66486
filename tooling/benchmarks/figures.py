"""A measured figure and its target: what the report's table is made of."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    part: str  # e.g. "pipeline: polling"
    name: str  # e.g. "makespan"
    value: float | None
    unit: str
    limit: float | None = None
    # "max": the value must be at most `limit`; "min": at least `limit`.
    kind: str = "max"
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.limit is None:
            return None
        if self.value is None:
            return False
        return self.value <= self.limit if self.kind == "max" else self.value >= self.limit

    @property
    def target(self) -> str:
        if self.limit is None:
            return ""
        sign = "≤" if self.kind == "max" else "≥"
        return f"{sign} {format_number(self.limit)} {self.unit}".rstrip()

    def as_json(self) -> dict:
        return {**asdict(self), "met": self.met, "target": self.target}

    @classmethod
    def from_json(cls, data: dict) -> Figure:
        fields = ("part", "name", "value", "unit", "limit", "kind", "note")
        return cls(**{name: data[name] for name in fields if name in data})


def format_number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
