"""The progress meter: silent for short steps, one redrawn line for long ones, and none
at all from the command line when standard error is not a terminal."""

from __future__ import annotations

import io
from pathlib import Path

from poolab.files.meter import QUIET_SECONDS, TerminalMeter
from tests.workflow import run


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_short_step_shows_nothing() -> None:
    """A step that ends within QUIET_SECONDS draws nothing and leaves no line break."""
    out, clock = io.StringIO(), Clock()
    meter = TerminalMeter(out, clock=clock)
    meter("roster import", 0.0, 0)
    clock.now += QUIET_SECONDS / 2
    meter("roster import", 1.0, 50_000)
    meter.finish()
    assert "" == out.getvalue()


def test_long_step_shows_percentage_and_rate() -> None:
    """After QUIET_SECONDS the meter draws percent, rows and rows/s on one line, ended once."""
    out, clock = io.StringIO(), Clock()
    meter = TerminalMeter(out, clock=clock)
    meter("campaign new", 0.0, 0)
    clock.now += 4.0
    meter("campaign new", 0.25, 1_000_000)
    clock.now += 4.0
    meter("campaign new", 0.5, 2_000_000)
    meter.finish()
    text = out.getvalue()
    assert text.endswith("\n") and 1 == text.count("\n")
    last = text.rstrip("\n").split("\r")[-1]
    assert "campaign new:  50.0%  2,000,000 rows  250,000 rows/s" == last.rstrip()


def test_a_new_step_starts_its_own_line() -> None:
    """A second step ends the first one's line and is timed from its own start."""
    out, clock = io.StringIO(), Clock()
    meter = TerminalMeter(out, clock=clock)
    meter("a", 0.0, 0)
    clock.now += 3.0
    meter("a", 0.5, 10)
    meter("b", 0.0, 0)
    clock.now += 1.0
    meter("b", 0.5, 10)  # b has run 1 s: quiet
    meter.finish()
    assert "\ra:  50.0%  10 rows  3 rows/s\n" == out.getvalue()


def test_cli_is_quiet_when_stderr_is_not_a_terminal(store_url: str, small_roster_csv: Path) -> None:
    """Through the command line (stderr captured, not a terminal) no meter characters appear."""
    assert 0 == run(store_url, "init").exit_code
    r = run(store_url, "roster", "import", str(small_roster_csv))
    assert 0 == r.exit_code
    assert "\r" not in r.output and "rows/s" not in r.output


def test_the_meter_counts_its_unit() -> None:
    """A meter counting pages says pages and pages/s, not rows."""
    out, clock = io.StringIO(), Clock()
    meter = TerminalMeter(out, clock=clock, unit="pages")
    meter("manifest PDF", 0.0, 0)
    clock.now += 4.0
    meter("manifest PDF", 0.5, 100)
    meter.finish()
    assert "\rmanifest PDF:  50.0%  100 pages  25 pages/s\n" == out.getvalue()
