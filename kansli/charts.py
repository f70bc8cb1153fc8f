"""The overview's chart, drawn on the server with matplotlib (Agg, no display) as PNG."""
from __future__ import annotations

import io
import threading
from typing import List

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

_lock = threading.Lock()  # pyplot keeps global state; one figure at a time
COLOURS = ["#0b4f71", "#b7791f", "#1e7a3c", "#7a1e5c", "#3a4148", "#a3141b"]


def funnel_png(stages: List[str], weeks: list, max_weeks: int = 6) -> bytes:
    """One line per week: how many conversations reached each step of the idea sketch, and a bar
    for how many stopped at that step (where people give up)."""
    shown = weeks[-max_weeks:]
    with _lock:
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7.5), dpi=100, sharex=True,
                                             gridspec_kw={"height_ratios": [3, 2]})
        try:
            x = list(range(len(stages)))
            width = 0.8 / max(1, len(shown))
            for n, row in enumerate(shown):
                colour = COLOURS[n % len(COLOURS)]
                top.plot(x, row.funnel, marker="o", color=colour, linewidth=2, label=f"Vecka {row.week}")
                bottom.bar([i - 0.4 + width * (n + 0.5) for i in x], row.gave_up, width=width, color=colour,
                           label=f"Vecka {row.week}")
            top.set_title("Idéskissen: hur långt samtalen kom, per vecka", fontsize=14, loc="left")
            top.set_ylabel("Samtal som nådde steget")
            bottom.set_title("Där de gav upp (sista steget de nådde)", fontsize=12, loc="left")
            bottom.set_ylabel("Samtal")
            bottom.set_xticks(x)
            bottom.set_xticklabels(stages, rotation=30, ha="right")
            top.set_ylim(bottom=0)
            for axis in (top, bottom):
                axis.grid(axis="y", color="#d3d9df")
                axis.yaxis.get_major_locator().set_params(integer=True)
                axis.spines[["top", "right"]].set_visible(False)
            if shown:
                top.legend(loc="upper right", frameon=False)
            else:
                top.text(0.5, 0.5, "Inga idéskisser ännu", transform=top.transAxes, ha="center", fontsize=13)
            figure.tight_layout()
            out = io.BytesIO()
            figure.savefig(out, format="png")
            return out.getvalue()
        finally:
            plt.close(figure)
