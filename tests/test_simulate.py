"""The Monte Carlo simulator: its kernel against a naive twin, against the closed forms,
reproducibility, household clustering and dilution."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from poolab.kernels import simulate as ks
from poolab.plan import designs as d
from poolab.plan.dilution import DilutionModel
from poolab.plan.opchar import opchar
from poolab.plan.simulate import BadParameter, index_rate, simulate, simulate_design
from poolab.plan.spec import parse_spec
from tests.naive import perfect_campaign_naive
from tests.strategies import designs


def _campaign(design: d.Design, status: np.ndarray) -> np.ndarray:
    """One campaign of the kernel under a perfect assay on given infections."""
    ones = np.ones(design.nstages)
    tally, _ = ks.run_campaign(design.staged, ks.assay(design.staged, ones, ones), status, status.astype(np.float64))
    return tally


@given(st.data())
def test_campaign_kernel_matches_naive(data: st.DataObject) -> None:
    """Perfect assay: tests, rounds and calls of one campaign equal the naive staged walk."""
    design = data.draw(designs())
    status = np.asarray(data.draw(st.lists(st.booleans(), min_size=design.n, max_size=design.n)))
    tests, rounds, calls = perfect_campaign_naive(design, status)
    tally = _campaign(design, status)
    calls = np.asarray(calls)
    assert tests == tally[ks.TESTS]
    assert rounds == tally[ks.ROUNDS]
    assert int((calls & status).sum()) == tally[ks.TP]
    assert int((calls & ~status).sum()) == tally[ks.FP]


def test_ratios_are_ratios_of_sums_over_replicates() -> None:
    """PSe, PSp, PPPV and PNPV are sums over all replicates divided, not means of each
    campaign's ratio (those are kept apart, as per_campaign); tests per person is the mean."""
    result = simulate(parse_spec("dorfman:10"), 300, 0.02, se=(0.95, 0.98), sp=(0.97, 0.99), replicates=400, seed=11)
    t = result.tally.sum(axis=0)
    expected = {
        "pse": t[ks.TP] / (t[ks.TP] + t[ks.FN]),
        "psp": t[ks.TN] / (t[ks.TN] + t[ks.FP]),
        "pppv": t[ks.TP] / (t[ks.TP] + t[ks.FP]),
        "pnpv": t[ks.TN] / (t[ks.TN] + t[ks.FN]),
        "expected_tests_per_individual": t[ks.TESTS] / 300 / 400,
    }
    assert expected == pytest.approx({k: result.means[k] for k in expected}, rel=1e-12)
    tally = result.tally
    called = tally[:, ks.TP] + tally[:, ks.FP]
    own = tally[called > 0, ks.TP] / called[called > 0]
    campaign = result.as_dict()["per_campaign"]["pppv"]  # type: ignore[index]
    assert (pytest.approx(own.mean(), rel=1e-12), int((called > 0).sum())) == (campaign["mean"], campaign["campaigns"])
    for key in expected:
        lo, hi = result.ci99[key]
        assert lo <= result.means[key] <= hi


def test_perfect_dorfman_formula() -> None:
    """Se = Sp = 1: E/n = 1/K + 1 - (1-p)^K inside the interval, and nothing is missed."""
    result = simulate(parse_spec("dorfman:10"), 10_000, 0.01, replicates=200, seed=3)
    lo, hi = result.ci99["expected_tests_per_individual"]
    assert lo <= 0.1 + 1 - 0.99**10 <= hi
    assert 0.0 == result.missed_positives == result.false_positives


def test_reproducible_across_thread_counts() -> None:
    """The same seed gives the same per-replicate tally on one thread and on all threads."""
    spec = parse_spec("dorfman:10")
    both = simulate(spec, 3000, 0.02, se=0.9, sp=0.99, replicates=40, seed=11)
    numba.set_num_threads(1)
    try:
        one = simulate(spec, 3000, 0.02, se=0.9, sp=0.99, replicates=40, seed=11)
    finally:
        numba.set_num_threads(getattr(numba.config, "NUMBA_NUM_THREADS"))  # noqa: B009  (an attribute numba sets at import)
    assert both.tally.tolist() == one.tally.tolist()
    other = simulate(spec, 3000, 0.02, se=0.9, sp=0.99, replicates=40, seed=12)
    assert both.tally.tolist() != other.tally.tolist()


def test_household_clustering_keeps_prevalence_and_saves_tests() -> None:
    """Clustered infections keep the overall prevalence and need fewer Dorfman tests."""
    sizes = np.tile([1, 2, 3, 4], 500)  # 5,000 residents
    spec = parse_spec("dorfman:10")
    iid = simulate(spec, 5000, 0.03, replicates=300, seed=5)
    clustered = simulate(spec, 5000, 0.03, replicates=300, seed=5, household_sizes=sizes, attack_rate=0.6)
    lo, hi = clustered.ci99["infected"]
    assert lo <= 0.03 * 5000 <= hi
    assert clustered.ci99["expected_tests_per_individual"][1] < iid.ci99["expected_tests_per_individual"][0]
    assert 0.03 > index_rate(0.03, sizes, 0.6)


def test_dilution() -> None:
    """A limit no pool reaches changes nothing; a real limit lowers PSe as the closed form says."""
    spec = parse_spec("dorfman:10")
    plain = simulate(spec, 4000, 0.002, se=0.95, replicates=400, seed=2)
    never = simulate(spec, 4000, 0.002, se=0.95, replicates=400, seed=2, dilution=DilutionModel(limit_ct=1e6))
    assert plain.tally.tolist() == never.tally.tolist()
    model = DilutionModel()
    diluted = simulate(spec, 4000, 0.002, se=0.95, replicates=400, seed=2, dilution=model)
    closed = opchar("dorfman:10", 0.002, se=0.95, dilution=model)
    lo, hi = diluted.ci99["pse"]
    assert lo <= closed.pse <= hi
    assert diluted.pse < plain.pse


def test_bad_parameters_are_refused() -> None:
    """Se with the wrong number of stages, a prevalence above 1 and bad households are refused."""
    spec = parse_spec("dorfman:10")
    with pytest.raises(BadParameter):
        simulate(spec, 100, 0.01, se=(0.9, 0.9, 0.9), replicates=2)
    with pytest.raises(BadParameter):
        simulate(spec, 100, 1.5, replicates=2)
    with pytest.raises(BadParameter):
        simulate(spec, 100, 0.1, replicates=2, household_sizes=np.array([3, 3]), attack_rate=0.5)


def test_std_design_simulates() -> None:
    """The non-adaptive STD with confirmation finds everyone under a perfect assay."""
    result = simulate_design(d.shifted_transversal(2000, 13, 3), 0.005, replicates=50, seed=1)
    assert 0.0 == result.missed_positives == result.false_positives
    assert result.expected_tests_per_individual < 0.5
