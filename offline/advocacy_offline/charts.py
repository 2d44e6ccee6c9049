"""Line charts for the HTML dashboard: the geometry only; the Jinja template draws it as inline SVG (no script,
no CDN). A series may have gaps (None: no figure that month), drawn as breaks in its line, and a point may
carry an interval (the habitual-referral rate's Wilson 95% interval), drawn as a whisker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

COLOURS = ("#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92")  # GOV.UK blue, red, green, orange, purple


def line_chart(
    title: str,
    labels: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    y_max: float | None = None,
    intervals: Sequence[tuple[float, float] | None] | None = None,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    width: int = 440,
    height: int = 220,
) -> dict[str, Any]:
    """Each series has one value per label (x, in order); `intervals` (per label) goes with the first series.
    `y_max`: the top of the axis (default: the largest value or interval bound, at least 1)."""
    left, right, top, bottom = 64, 12, 12, 40  # room for "100.0%" left of the axis
    plot_w, plot_h = width - left - right, height - top - bottom
    bounds = [b for iv in intervals or () if iv for b in iv]
    values = [v for s in series.values() for v in s if v is not None] + bounds
    peak = y_max if y_max is not None else max(max(values, default=0.0), 1.0)
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return round(left + plot_w * (i + 0.5) / n, 1)

    def y(v: float) -> float:
        return round(top + plot_h * (1 - min(v, peak) / peak), 1)

    step = max(1, -(-len(labels) // 8))  # at most 8 labels on the x axis
    lines = []
    for k, (name, values_of) in enumerate(series.items()):
        colour = COLOURS[k % len(COLOURS)]
        segments: list[list[str]] = [[]]
        points = []
        for i, v in enumerate(values_of):
            if v is None:
                segments.append([])
                continue
            segments[-1].append(f"{x(i)},{y(v)}")
            points.append({"x": x(i), "y": y(v), "title": f"{name}, {labels[i]}: {fmt(v)}"})
        lines.append(
            {"name": name, "colour": colour, "segments": [" ".join(s) for s in segments if s], "points": points}
        )
    whiskers = [
        {"x": x(i), "y1": y(iv[0]), "y2": y(iv[1]), "title": f"{labels[i]}: {fmt(iv[0])} to {fmt(iv[1])}"}
        for i, iv in enumerate(intervals or ())
        if iv is not None
    ]
    return {
        "title": title,
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": top + plot_h,
        "y_ticks": [{"y": y(v), "label": fmt(v)} for v in (0.0, peak / 2, peak)],
        "x_labels": [{"x": x(i), "label": label} for i, label in enumerate(labels) if i % step == 0],
        "label_y": top + plot_h + 18,
        "lines": lines,
        "whiskers": whiskers,
        "legend": len(series) > 1,
    }
