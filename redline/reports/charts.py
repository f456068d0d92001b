"""The report's charts, drawn server-side with matplotlib (Agg) in Noto Sans CJK: one PNG per
chart, used by the PDF (as a data URI) and the .docx alike."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.ticker import MaxNLocator

from redline.reports.figures import Chart

# Debian's fonts-noto-cjk (installed by `make test-deps`, as for the PDF exports).
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
)
PALETTE = ["#1f5fa8", "#e67e22", "#6d4c41", "#2e7d32", "#8e24aa"]


def _font() -> font_manager.FontProperties | None:
    for path in CJK_FONTS:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path)
    return None


def png(chart: Chart, *, width: float = 6.4, height: float = 3.0, dpi: int = 180) -> bytes:
    """The chart as a PNG (its title stays outside: the documents set it as a caption)."""
    font = _font()
    family = [font.get_name()] if font is not None else ["sans-serif"]
    with plt.rc_context({"font.family": family, "axes.unicode_minus": False}):
        figure, axes = plt.subplots(figsize=(width, height), dpi=dpi)
        try:
            positions = list(range(len(chart.categories)))
            if chart.kind == "line":
                for i, (name, values) in enumerate(chart.series):
                    line = chart.colours[i] if i < len(chart.colours) else PALETTE[i % 5]
                    axes.plot(positions, values, marker="o", label=name, color=line)
            else:
                count = max(1, len(chart.series))
                width_each = 0.8 / count
                for i, (name, values) in enumerate(chart.series):
                    offsets = [p - 0.4 + width_each * (i + 0.5) for p in positions]
                    colour: Any = (
                        chart.colours
                        if count == 1 and len(chart.colours) == len(chart.categories)
                        else chart.colours[i]
                        if i < len(chart.colours)
                        else PALETTE[i % 5]
                    )
                    bars = axes.bar(offsets, values, width_each, label=name, color=colour)
                    axes.bar_label(bars, fontsize=7)
            axes.set_xticks(positions, chart.categories, fontsize=8)
            if len(chart.categories) > 6:
                axes.tick_params(axis="x", labelrotation=30)
            axes.tick_params(axis="y", labelsize=8)
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
            axes.spines[["top", "right"]].set_visible(False)
            if len(chart.series) > 1:
                axes.legend(fontsize=8, frameon=False)
            figure.tight_layout()
            out = io.BytesIO()
            figure.savefig(out, format="png")
            return out.getvalue()
        finally:
            plt.close(figure)
