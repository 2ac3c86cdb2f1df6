"""Report charts as PNG: the core supplies each chart's data (`context["charts"]`), this draws it for print.

matplotlib with the Agg backend (no display needed), a serif font that carries every Vietnamese letter (Liberation
Serif 2 looks like Times New Roman; Debian's older fonts-liberation 1.07 lacks ư, ơ and the stacked tones, which
then print as boxes, so a font is used only if the file matplotlib resolves it to has them all, and DejaVu Serif,
which matplotlib ships, is always there), black and greys with hatching so a chart still reads on a
black-and-white office printer.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes

FONTS = ["Liberation Serif", "Times New Roman", "DejaVu Serif"]
# Every letter Vietnamese adds to ASCII, lower and upper case: a font missing one of them is not used.
VIETNAMESE_LETTERS = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
VIETNAMESE_LETTERS += VIETNAMESE_LETTERS.upper()
WIDTH_CM, HEIGHT_CM = 16.0, 8.5
DPI = 200
GREYS = ["#1f1f1f", "#7a7a7a", "#bdbdbd", "#ffffff", "#4d4d4d", "#e0e0e0"]
HATCHES = ["", "//", "..", "xx", "\\\\", "--"]


class ChartError(Exception):
    """A chart's data is not one of the kinds this module draws."""


@functools.cache
def _use_agg() -> None:
    """matplotlib on the Agg backend (no display on a server), imported when the first chart is drawn and chosen
    before pyplot is imported.

    Why not at the top: matplotlib and numpy take seconds to import, and every CLI and flow-run process imports
    this module whether or not it draws a chart.
    """
    import matplotlib

    matplotlib.use("Agg")


@functools.cache
def vietnamese_fonts() -> list[str]:
    """The families of FONTS whose resolved file has every Vietnamese letter, in FONTS' order of preference."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    usable = []
    for family in FONTS:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:  # not installed
            continue
        charmap = FT2Font(path).get_charmap()
        if all(ord(letter) in charmap for letter in VIETNAMESE_LETTERS):
            usable.append(family)
    return usable


def _style() -> Any:
    return {"font.family": "serif", "font.serif": vietnamese_fonts(), "font.size": 9, "axes.titlesize": 10,
            "axes.spines.top": False, "axes.spines.right": False}


def _wrap(label: str, width: int = 10) -> str:
    """Team names broken into short lines, so eight bars fit under a 16 cm chart."""
    words, lines, line = label.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _stacked_bars(ax: Axes, spec: dict[str, Any]) -> None:
    from matplotlib.ticker import MaxNLocator

    categories: Sequence[str] = spec["categories"]
    positions = range(len(categories))
    bottom = [0] * len(categories)
    for i, series in enumerate(spec["series"]):
        values = series["values"]
        ax.bar(positions, values, bottom=bottom, label=series["name"], color=GREYS[i % len(GREYS)],
               hatch=HATCHES[i % len(HATCHES)], edgecolor="black", linewidth=0.6)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for x, total in zip(positions, bottom, strict=True):
        ax.annotate(str(total), (x, total), ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")
    ax.set_xticks(list(positions), [_wrap(c) for c in categories], fontsize=7.5)
    ax.set_ylabel("Số người")
    ax.set_ylim(0, max(bottom, default=0) * 1.15 + 1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    # Under the chart, outside the axes (constrained layout makes room for it), two titles a line: four titles on
    # one line are wider than the page.
    ax.get_figure().legend(fontsize=8, frameon=False, ncols=min(2, len(spec["series"])),  # type: ignore[union-attr]
                           loc="outside lower center")


def _day_number(iso_day: str) -> float:
    """matplotlib's date axis unit: days since its default epoch, 1970-01-01."""
    return float((dt.date.fromisoformat(iso_day) - dt.date(1970, 1, 1)).days)


def _cumulative(ax: Axes, spec: dict[str, Any]) -> None:
    import matplotlib.dates as mdates
    from matplotlib.ticker import MaxNLocator

    days = [_day_number(d) for d in spec["dates"]]
    deadline = _day_number(spec["deadline"])
    if days:
        ax.step(days, spec["values"], where="post", color="black", linewidth=1.5, label="Số đã nộp (cộng dồn)")
    ax.axvline(deadline, color="black", linestyle="--", linewidth=1, label=spec["deadline_label"])
    if spec.get("target"):
        ax.axhline(spec["target"], color="#7a7a7a", linestyle=":", linewidth=1,
                   label=f"Số cần nộp: {spec['target']}")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d/%m"))  # type: ignore[no-untyped-call]
    ax.set_ylabel("Số đã nộp")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=True, loc="lower right")


DRAW = {"stacked_bars": _stacked_bars, "cumulative": _cumulative}


def render_chart(spec: dict[str, Any], out: Path) -> Path:
    """Draw one chart spec into `out` (PNG, 16 × 8,5 cm at 200 dpi: sharp in print, small in email)."""
    draw = DRAW.get(spec.get("kind", ""))
    if draw is None:
        raise ChartError(f"Không vẽ được biểu đồ loại «{spec.get('kind')}»; các loại: {', '.join(DRAW)}.")
    _use_agg()
    import matplotlib.pyplot as plt

    with plt.rc_context(_style()):
        figure, ax = plt.subplots(figsize=(WIDTH_CM / 2.54, HEIGHT_CM / 2.54), layout="constrained")
        try:
            draw(ax, spec)
            out.parent.mkdir(parents=True, exist_ok=True)
            figure.savefig(out, dpi=DPI, format="png")
        finally:
            plt.close(figure)
    return out
