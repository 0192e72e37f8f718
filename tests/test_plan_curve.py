"""What ``plan curve`` draws: the right panel follows the designs, the estimate widens the axis."""

from __future__ import annotations

import math

import numpy as np

from poolab.plan.curve import Mark, curve_data
from poolab.plan.dilution import DilutionModel
from poolab.plan.opchar import opchar


def test_right_panel_follows_the_designs() -> None:
    """One PSe curve per design given (none for individual), over its own family, and at the
    design's own size it is that design's PSe at the panel's prevalence."""
    designs = ["dorfman:8", "hier:20-4", "array:6", "array-master:4", "individual"]
    data = curve_data(designs, 0.001, 0.2, 0.99, 0.99, DilutionModel(), 30, 5)
    assert designs[:4] == list(data.pse)
    for design in designs[:4]:
        sizes, pse = data.pse[design]
        own = int(design.split(":")[1].split("-")[0])
        expected = opchar(design, data.pse_at, 0.99, 0.99, dilution=DilutionModel()).pse
        assert math.isclose(expected, float(pse[sizes == own][0]), rel_tol=1e-12)
    hier_sizes, _ = data.pse["hier:20-4"]
    assert (5, 30) == (hier_sizes[0], hier_sizes[-1])
    # without dilution Dorfman finds Se² of the positives at every size
    _, plain = data.pse_plain["dorfman:8"]
    assert np.allclose(0.99**2, plain)


def test_estimate_widens_the_prevalence_axis() -> None:
    """An estimate outside the default range moves the axis to hold it and its interval, and
    the right panel is drawn at the estimate."""
    mark = Mark("day1", 0.0002, 0.0001, 0.0004)
    data = curve_data(["dorfman:10"], 0.001, 0.2, 1.0, 1.0, None, 20, 10, mark)
    assert data.prevalence[0] <= 0.0001 and data.prevalence[-1] >= 0.2
    assert 0.0002 == data.pse_at


def test_the_chart_reads_in_chinese_with_every_glyph_drawn(tmp_path) -> None:
    """Under Chinese the chart's titles and axes are translated and drawn with the CJK font:
    matplotlib warns of no missing glyph (its own font has no Chinese), and the title that
    is drawn is the catalogue's."""
    import warnings

    import matplotlib.pyplot as plt

    from poolab.i18n import use_language
    from poolab.plan.curve import write_curves

    drawn: list[str] = []
    close = plt.close

    def keep_titles(fig=None) -> None:  # read the figure's texts just before it is closed
        if fig is not None and hasattr(fig, "axes"):
            drawn.extend(ax.get_title() for ax in fig.axes)
            drawn.extend(ax.get_xlabel() for ax in fig.axes)
        close(fig)

    plt.close = keep_titles
    try:
        with use_language("zh"), warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
            write_curves(tmp_path / "zh.png", designs=["dorfman:10"], points=8, max_pool_size=12)
    finally:
        plt.close = close
    assert any(t.startswith("人均检测次数") for t in drawn), drawn
    assert "感染率" in drawn
    assert (tmp_path / "zh.png").read_bytes().startswith(b"\x89PNG")
