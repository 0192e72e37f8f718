"""How a command ends when something goes wrong: one place (the command group) turns a
library error into a message (exit 1), an OS error into its file and reason (exit 1),
and anything else into a bug report request (exit 2; the traceback only with --debug)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import poolab.field.campaigns
from poolab.errors import PoolabError
from poolab_cli.main import cli


def _invoke(url: str, *args: str) -> tuple[int, str, BaseException | None]:
    r = CliRunner().invoke(cli, ["--db", url, "--operator", "t", *args])
    return r.exit_code, r.output, r.exception


def _raising(exc: BaseException):
    def fail(*_args: object, **_kwargs: object) -> None:
        raise exc

    return fail


@pytest.fixture
def url(tmp_path: Path) -> str:
    u = f"sqlite:///{tmp_path / 'p.db'}"
    assert _invoke(u, "init")[0] == 0
    return u


def test_a_library_error_is_one_line_even_with_debug(url: str) -> None:
    for extra in ([], ["--debug"]):
        r = CliRunner().invoke(cli, ["--db", url, *extra, "campaign", "new", "d"])
        assert (r.exit_code, r.output.strip()) == (
            1,
            "Error: the store has no residents yet; import a roster first: poolab roster import FILE",
        )


def test_an_os_error_names_its_file(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        poolab.field.campaigns, "create_campaign", _raising(PermissionError(13, "Permission denied", "/srv/x.db"))
    )
    code, out, _ = _invoke(url, "campaign", "new", "d")
    assert (code, out.strip()) == (1, "Error: /srv/x.db: Permission denied")


def test_an_unexpected_error_asks_for_a_bug_report(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poolab.field.campaigns, "create_campaign", _raising(ZeroDivisionError("x" * 500)))
    code, out, _ = _invoke(url, "campaign", "new", "d")
    assert code == 2
    assert out.startswith("Error: unexpected ZeroDivisionError: " + "x" * 200 + "\n")
    assert "x" * 201 not in out  # the message is cut, not the whole exception
    assert "This is a bug in poolab. Run the command again with --debug" in out


def test_debug_shows_the_traceback(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(poolab.field.campaigns, "create_campaign", _raising(ZeroDivisionError("boom")))
    r = CliRunner().invoke(cli, ["--db", url, "--debug", "campaign", "new", "d"])
    assert isinstance(r.exception, ZeroDivisionError) and r.exit_code == 1
    assert "This is a bug" not in r.output


def test_a_library_error_from_any_command_exits_1(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands carry no error handling of their own: the group's reaches every one."""
    monkeypatch.setattr(poolab.field.campaigns, "create_campaign", _raising(PoolabError("no such thing")))
    assert _invoke(url, "campaign", "new", "d")[:2] == (1, "Error: no such thing\n")


def test_campaign_refusals(store, small_roster_csv: Path) -> None:
    """What `campaign new` refuses, each named, nothing stored."""
    from poolab.field.campaigns import MAX_POOL_SIZE, create_campaign
    from poolab.roster.importing import import_roster
    from poolab.store.campaigns import CampaignExists

    import_roster(store, small_roster_csv, operator="t")
    with pytest.raises(PoolabError, match="a campaign needs a name"):
        create_campaign(store, "  ", operator="t")
    with pytest.raises(PoolabError, match=rf"pool size 0 is out of range \(1 to {MAX_POOL_SIZE}\)"):
        create_campaign(store, "d", operator="t", pool_size=0)
    with pytest.raises(PoolabError, match=r"unknown compound\(s\) 'Nowhere', 'Elsewhere'; the roster has: "):
        create_campaign(store, "d", operator="t", compounds=["Nowhere", " Elsewhere ", "Nowhere"])
    create_campaign(store, "d", operator="t")
    with pytest.raises(CampaignExists, match="campaign 'd' exists already; choose another name"):
        create_campaign(store, " d ", operator="t")
