"""Charts print every Vietnamese letter: a font lacking one (Debian's fonts-liberation 1.07 lacks ư, ơ and the
stacked tones) draws boxes in their place, and matplotlib only warns."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from connectors.local.charts import VIETNAMESE_LETTERS, render_chart, vietnamese_fonts

from .conftest import load_context


def test_every_font_the_charts_use_has_every_vietnamese_letter() -> None:
    families = vietnamese_fonts()
    assert families
    for family in families:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        charmap = FT2Font(path).get_charmap()
        assert [c for c in VIETNAMESE_LETTERS if ord(c) not in charmap] == [], path


def test_a_chart_with_every_vietnamese_letter_draws_without_a_missing_glyph(tmp_path: Path) -> None:
    spec = {"kind": "stacked_bars", "categories": ["Ngữ văn", "Lịch sử – Địa lý", VIETNAMESE_LETTERS],
            "series": [{"name": "Chiến sĩ thi đua cơ sở", "values": [1, 2, 3]},
                       {"name": "Lao động tiên tiến", "values": [3, 4, 5]}]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib's "Glyph … missing from font(s)" becomes a failure
        png = render_chart(spec, tmp_path / "chart.png")
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("deadline_id", ["D1", "D3", "D5", "D8"])
def test_nothing_is_cut_at_the_sides_of_a_chart(deadline_id: str, tmp_path: Path) -> None:
    """A legend wider than the picture (four titles on one line) lost its ends at both sides."""
    for n, spec in enumerate(load_context(deadline_id)["charts"]):
        image = matplotlib.image.imread(render_chart(spec, tmp_path / f"{n}.png"))
        edges = np.concatenate([image[:, :3, :3], image[:, -3:, :3]], axis=1)
        assert (edges > 0.9).all(), (deadline_id, spec["caption"])
