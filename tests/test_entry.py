"""The console script's end (poolab_cli.entry): the exit status of the command, its exit
handlers run and its output flushed, the store's files as after a clean close, and the
usual end when a thread is still running."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

_RUN = """
import atexit, sys, threading, time
from poolab_cli.entry import leave, main
mode = sys.argv.pop(1)
atexit.register(lambda: print("exit handler ran", file=sys.stderr))
sys.stdout.write("unflushed")  # no newline: a pipe holds it in the buffer
if mode == "thread":
    threading.Thread(target=lambda: (time.sleep(0.3), print(" thread ended", end=""))).start()
if mode == "leave":
    leave(sys.argv[1])
main()
"""


def _script(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUN, *args], capture_output=True, text=True, check=False, timeout=120, cwd=cwd
    )


@pytest.mark.parametrize(
    ("args", "status"),
    [(["command", "--help"], 0), (["command", "no-such-command"], 2), (["command", "--version"], 0)],
)
def test_status_handlers_and_output(args: list[str], status: int) -> None:
    proc = _script(*args)
    assert status == proc.returncode, proc.stderr
    assert proc.stdout.startswith("unflushed")
    assert "exit handler ran" in proc.stderr


def test_a_message_as_the_code_is_shown_and_fails() -> None:
    proc = _script("leave", "stopped: the reason")
    assert 1 == proc.returncode
    assert "stopped: the reason" in proc.stderr
    assert "exit handler ran" in proc.stderr


def test_a_running_thread_is_waited_for() -> None:
    proc = _script("thread", "--help")
    assert 0 == proc.returncode, proc.stderr
    assert proc.stdout.endswith(" thread ended")


def test_the_store_is_closed_as_a_copy_expects(tmp_path: Path) -> None:
    """After a command, the SQLite store is one file: its write-ahead log folded back in
    when the command closed it, not left beside it for the next open."""
    db = tmp_path / "store.db"
    proc = _script("command", "--db", f"sqlite:///{db}", "init", cwd=tmp_path)
    assert 0 == proc.returncode, proc.stderr
    assert db.exists()
    assert [] == sorted(p.name for p in tmp_path.iterdir() if p.name != "store.db")
