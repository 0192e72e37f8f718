"""``poolab simulate`` through Click: the JSON contract, the table, and bad input."""

from __future__ import annotations

import json

from click.testing import CliRunner

from poolab_cli.main import cli


def test_json_contract() -> None:
    """--json prints one object with the fixed keys, replicates and a [low, high] ci99 per key."""
    args = [
        "simulate",
        "--design",
        "dorfman:10",
        "--residents",
        "2000",
        "--prevalence",
        "0.01",
        "--se",
        "0.95",
        "--sp",
        "0.99",
        "--replicates",
        "30",
        "--seed",
        "4",
        "--json",
    ]
    result = CliRunner().invoke(cli, args)
    assert 0 == result.exit_code, result.output
    obj = json.loads(result.stdout)
    for key in ("design", "expected_tests_per_individual", "pse", "psp", "pppv", "pnpv", "replicates", "ci99"):
        assert key in obj
    assert "dorfman:10" == obj["design"]
    assert 30 == obj["replicates"]
    lo, hi = obj["ci99"]["pse"]
    assert lo <= obj["pse"] <= hi


def test_table_and_options() -> None:
    """Without --json a readable table; households, dilution and per-stage Se are accepted."""
    args = [
        "simulate",
        "-d",
        "hier:12-4",
        "-n",
        "1200",
        "-p",
        "0.02",
        "--se",
        "0.9,0.95,0.99",
        "-r",
        "20",
        "--attack-rate",
        "0.4",
        "--dilution",
    ]
    result = CliRunner().invoke(cli, args)
    assert 0 == result.exit_code, result.output
    assert "tests per person" in result.stdout
    assert "99% interval" in result.stdout


def test_bad_input_names_the_value() -> None:
    """A bad SPEC or a wrong number of Se values exits 1 with a message, no traceback."""
    bad_spec = CliRunner().invoke(cli, ["simulate", "-d", "pools:7", "-n", "10", "-p", "0.1"])
    assert 1 == bad_spec.exit_code
    assert "pools:7" in bad_spec.output
    bad_se = CliRunner().invoke(cli, ["simulate", "-d", "dorfman:5", "-n", "10", "-p", "0.1", "--se", "0.9,0.9,0.9"])
    assert 1 == bad_se.exit_code
    assert "se needs one value or one per stage" in bad_se.output


def test_help_teaches() -> None:
    """--help explains the design SPECs and shows an example."""
    result = CliRunner().invoke(cli, ["simulate", "--help"])
    assert 0 == result.exit_code
    assert "dorfman:K" in result.output
    assert "poolab simulate --design dorfman:10" in result.output


def test_help_lists_every_design_family() -> None:
    """simulate --help names every design SPEC it accepts, std included."""
    result = CliRunner().invoke(cli, ["simulate", "--help"])
    assert 0 == result.exit_code
    for form in ("individual", "dorfman:K", "hier:K1-K2", "array:R", "array-master:R", "std:Q-K", "std:Q-K-G"):
        assert form in result.output


def test_std_with_compression_power_and_the_same_figures_as_the_library() -> None:
    """simulate -d std:7-4-3 runs one design over 1,000 people; its JSON holds the
    library's figures for the same seed, and the per-campaign view beside them."""
    from poolab.plan.simulate import simulate
    from poolab.plan.spec import parse_spec

    args = ["simulate", "-d", "std:7-4-3", "-n", "1000", "-p", "0.005", "--se", "0.95", "-r", "50", "--seed", "2"]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert 0 == result.exit_code, result.output
    obj = json.loads(result.stdout)
    expected = simulate(parse_spec("std:7-4-3"), 1000, 0.005, se=(0.95,), replicates=50, seed=2).as_dict()
    assert expected == obj
    assert {"pse", "psp", "pppv", "pnpv"} == set(obj["per_campaign"])
