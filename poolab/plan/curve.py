"""Pictures for planners: tests per person against prevalence (with a campaign's estimate
marked), and each design's PSe against its pool size.

matplotlib is an optional extra (``pip install 'poolab[plot]'``); it is imported only
here, only when a picture is drawn, with the Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from poolab.cjk_font import FontMissing, cjk_font_path
from poolab.errors import PoolabError
from poolab.files.atomic import atomic_file
from poolab.i18n import _, language, use_language
from poolab.plan.dilution import DilutionModel
from poolab.plan.families import family_arrays
from poolab.plan.inputs import BadPlanInput, stage_values
from poolab.plan.opchar import opchar
from poolab.plan.spec import DesignSpec, is_prime, parse_spec
from poolab.plan.transversal import full_block

if TYPE_CHECKING:
    from poolab.reports.estimate import CampaignEstimate
    from poolab.store.engine import Store

DEFAULT_DESIGNS = ("dorfman:5", "dorfman:10", "hier:25-5", "array:10", "array-master:10")
INSTALL_HINT = "pip install 'poolab[plot]'"


class PlotUnavailable(PoolabError):
    """matplotlib is not installed."""


def _chinese_font() -> str | None:
    """The CJK font's family name, added to matplotlib's fonts, when labels are to be Chinese;
    None under English, or when no CJK font is installed."""
    if language() != "zh":
        return None
    try:
        path = cjk_font_path()
    except FontMissing:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return str(font_manager.FontProperties(fname=path).get_name())


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable(
            _("drawing curves needs matplotlib, an optional extra: {command}").format(command=INSTALL_HINT)
        ) from None
    return plt


@attrs.frozen(slots=True)
class Mark:
    """An estimated prevalence and its 95% interval, to mark on the prevalence axis."""

    label: str
    prevalence: float
    low: float
    high: float


def _pse_by_size(
    spec: DesignSpec, p: float, se: float, sp: float, dilution: DilutionModel | None, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """PSe of the design's family as its first size runs up to ``top``, the others fixed
    (hier: K2; std: K), at prevalence ``p``."""
    fam = spec.family
    ses, sps = stage_values(se, fam, "se"), stage_values(sp, fam, "sp")
    if fam == "hier":
        sizes = np.arange(spec.sizes[1] + 1, max(top, spec.sizes[1] + 1) + 1)
        k2: np.ndarray | None = np.full(sizes.shape, spec.sizes[1])
    elif fam == "std":  # Q runs over the primes from K, pools of Q^G up to the top
        _q, k, g = spec.sizes
        sizes = np.asarray([q for q in range(max(k, 2), max(top, spec.sizes[0]) + 1) if is_prime(q)])
        pse = np.asarray([full_block(int(q), k, g, p, ses, sps, dilution)[1] for q in sizes.tolist()])
        return sizes, pse
    else:
        sizes = np.arange(2, max(top, 2) + 1)
        k2 = None
    _tests, pse, _psp = family_arrays(fam, sizes, p, ses, sps, dilution, k2)
    return sizes, pse


@attrs.frozen(slots=True, eq=False)
class CurveData:
    """What ``write_curves`` draws: E/n per design over ``prevalence`` (left panel), and per
    design (but ``individual``) its family's (sizes, PSe) under dilution and without."""

    prevalence: np.ndarray
    tests: dict[str, list[float]]
    pse: dict[str, tuple[np.ndarray, np.ndarray]]
    pse_plain: dict[str, tuple[np.ndarray, np.ndarray]]
    pse_at: float


def curve_data(
    designs: Sequence[str],
    min_prevalence: float,
    max_prevalence: float,
    se: float,
    sp: float,
    dilution: DilutionModel | None,
    max_pool_size: int,
    points: int,
    mark: Mark | None = None,
) -> CurveData:
    """The curves of ``write_curves`` (see there)."""
    specs = [parse_spec(d) for d in designs]
    if mark is not None:
        # widen the axis to the interval (a lower end of 0 cannot sit on a log axis)
        if mark.low > 0.0:
            min_prevalence = min(min_prevalence, mark.low / 1.5)
        min_prevalence = min(min_prevalence, max(mark.prevalence, 1e-6) / 1.5)
        max_prevalence = max(max_prevalence, min(mark.high * 1.5, 0.99))
    prev = np.geomspace(min_prevalence, max_prevalence, points)
    tests = {str(s): [opchar(s, float(p), se, sp, dilution).expected_tests_per_individual for p in prev] for s in specs}
    model = dilution or DilutionModel()
    at = max(mark.prevalence, 1e-6) if mark is not None else min_prevalence
    pooled = [s for s in specs if s.family != "individual"]
    pse = {str(s): _pse_by_size(s, at, se, sp, model, max_pool_size) for s in pooled}
    plain = {str(s): _pse_by_size(s, at, se, sp, None, max_pool_size) for s in pooled}
    return CurveData(prev, tests, pse, plain, at)


def write_curves(
    path: str | Path,
    designs: Sequence[str] = DEFAULT_DESIGNS,
    min_prevalence: float = 0.001,
    max_prevalence: float = 0.2,
    se: float = 1.0,
    sp: float = 1.0,
    dilution: DilutionModel | None = None,
    max_pool_size: int = 50,
    points: int = 120,
    mark: Mark | None = None,
) -> Path:
    """Draw E/n against prevalence (in %) for ``designs`` and their PSe against pool size;
    write a PNG.

    The prevalence panel uses ``dilution`` when given, and shows ``mark`` (an estimate and
    its interval; the axis widens to hold it). The pool-size panel draws, for each design,
    its family's PSe as its first size varies (the design's own size marked), under
    dilution (the given model, or the default one) and, dotted, without: the loss that
    dilution causes. It is drawn at the marked prevalence, or else the smallest one shown.
    """
    if not (0.0 < min_prevalence < max_prevalence < 1.0):
        raise BadPlanInput(
            _("need 0 < min prevalence < max prevalence < 1 (values {low}, {high})").format(
                low=repr(min_prevalence), high=repr(max_prevalence)
            )
        )
    if not designs:
        raise BadPlanInput(_("give at least one design to draw"))
    if max_pool_size < 2:
        raise BadPlanInput(_("max pool size must be at least 2 (value {value})").format(value=repr(max_pool_size)))
    data = curve_data(designs, min_prevalence, max_prevalence, se, sp, dilution, max_pool_size, points, mark)
    prev, curves, sizes, plain, at = data.prevalence, data.tests, data.pse, data.pse_plain, data.pse_at
    model = dilution or DilutionModel()
    min_prevalence = float(prev[0])
    specs = [parse_spec(d) for d in designs]

    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter

    family = _chinese_font()
    # Chinese labels need a font with their glyphs; without one the chart is drawn in English
    style = {"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False} if family else {}
    with plt.rc_context(style), use_language("zh" if family else "en"):
        percent = FuncFormatter(lambda x, _pos: f"{100 * x:.3g}%")
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8), dpi=100)
        for name, ys in curves.items():
            left.plot(prev, ys, label=name)
        left.axhline(1.0, color="grey", lw=0.8, ls=":", label=_("individual"))
        if mark is not None:
            lo = max(mark.low, min_prevalence)
            left.axvspan(
                lo, max(mark.high, lo), color="tab:red", alpha=0.12, label=_("{level} interval").format(level="95%")
            )
            left.axvline(max(mark.prevalence, min_prevalence), color="tab:red", lw=1.2, label=mark.label)
        left.set_xscale("log")
        left.xaxis.set_major_formatter(percent)
        left.xaxis.set_minor_formatter(FuncFormatter(lambda _x, _pos: ""))
        left.set_xlabel(_("prevalence"))
        left.set_ylabel(_("expected tests per person"))
        title = (
            _("Tests per person (Se={se}, Sp={sp}, dilution)") if dilution else _("Tests per person (Se={se}, Sp={sp})")
        )
        left.set_title(title.format(se=f"{se:g}", sp=f"{sp:g}"))
        left.legend(fontsize=8)
        left.grid(True, which="both", alpha=0.3)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, spec in enumerate(s for s in specs if s.family != "individual"):
            name, color = str(spec), colors[i % len(colors)]
            ks, pse = sizes[name]
            right.plot(ks, pse, color=color, label=name)
            right.plot(*plain[name], color=color, lw=0.8, ls=":")
            own = np.flatnonzero(ks == spec.sizes[0])
            if own.size:
                right.plot(ks[own], pse[own], "o", color=color, ms=5)
        right.set_xlabel(_("pool size (K; K1 for hier; R for arrays; Q for std)"))
        right.set_ylabel(_("pooling sensitivity"))
        right.set_title(
            _("PSe at {prevalence}: Ct~N({mean}, {sd}), limit {limit} (dotted: no dilution)").format(
                prevalence=f"{100 * at:.3g}%",
                mean=f"{model.ct_mean:g}",
                sd=f"{model.ct_sd:g}",
                limit=f"{model.limit_ct:g}",
            ),
            fontsize=10,
        )
        right.legend(fontsize=8)
        right.grid(True, alpha=0.3)
        fig.tight_layout()
        out = Path(path)
        with atomic_file(out, private=False) as f:  # a failed write leaves no half PNG
            fig.savefig(f, format="png")
        plt.close(fig)
    return out


def write_campaign_curves(
    store: Store,
    campaign: str,
    path: str | Path,
    designs: Sequence[str] = DEFAULT_DESIGNS,
    min_prevalence: float = 0.001,
    max_prevalence: float = 0.2,
    se: float = 1.0,
    sp: float = 1.0,
    dilution: DilutionModel | None = None,
    max_pool_size: int = 50,
) -> tuple[Path, CampaignEstimate]:
    """``write_curves`` with the campaign's estimated prevalence and interval marked."""
    from poolab.reports.estimate import estimate_campaign

    est = estimate_campaign(store, campaign, se=(se,), sp=(sp,))
    label = f"{est.campaign}: {100 * est.prevalence:.3g}%"
    mark = Mark(label, est.prevalence, est.ci95[0], est.ci95[1])
    out = write_curves(path, designs, min_prevalence, max_prevalence, se, sp, dilution, max_pool_size, mark=mark)
    return out, est
