"""A day's plates in one command, and a watched folder: each file its own all-or-nothing
import with its own line; a refused file gets its problems file beside it and the others
go on. The watch runs as a real process, stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.bench import export_wells, plate_maps, received_campaign, write_export, write_workbook
from tests.workflow import run

pytestmark = pytest.mark.store

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def plated(store_url: str, small_roster_csv: Path, tmp_path: Path) -> tuple[str, str, list[dict[str, str]], list[str]]:
    """A store with one plate mapped: (url, plate barcode, map rows, tubes)."""
    tubes = received_campaign(store_url, small_roster_csv, tmp_path)
    assert 0 == run(store_url, "plate", "new", "day1", "-o", str(tmp_path / "p.csv")).exit_code
    ((code, rows),) = plate_maps(tmp_path / "p.csv").items()
    return store_url, code, rows, tubes


def test_watch_folder_by_polling(plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path) -> None:
    """The library's watch, reading the folder itself (--poll, for SMB/NFS mounts): an
    export already there and one written later are each taken once; setting ``stop``
    ends it."""
    from poolab.lab.bench.batch import ImportOptions
    from poolab.lab.bench.watch import watch_folder
    from poolab.store.engine import open_store

    url, code, rows, tubes = plated
    folder = tmp_path / "exports"
    folder.mkdir()
    write_export(folder / "first.txt", code, export_wells(rows))
    stop = threading.Event()
    store = open_store(url)
    seen: list[str] = []
    try:
        outcomes = watch_folder(
            store, "day1", str(folder), operator="t", options=ImportOptions(), settle=0.3, poll=True, stop=stop
        )

        def later() -> None:
            time.sleep(1.5)
            write_workbook(folder / "second.xlsx", code, export_wells(rows))
            time.sleep(3.0)
            stop.set()

        threading.Thread(target=later, daemon=True).start()
        for outcome in outcomes:
            assert outcome.summary is not None, outcome.error
            seen.append(os.path.basename(outcome.path))
    finally:
        store.dispose()
    assert ["first.txt", "second.xlsx"] == seen
    assert len(tubes) == _resulted(url)


def _resulted(url: str) -> int:
    return int(json.loads(run(url, "status", "day1", "--json").output)["tubes"]["resulted"])


def test_many_files_each_all_or_nothing(
    plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path
) -> None:
    """Three files: the export is recorded, a broken workbook is refused with its
    problems file beside it, the export's twin as a workbook is unchanged; one line (or
    block) per file in order, then the count; exit 1 because one was refused."""
    url, code, rows, tubes = plated
    good = write_export(tmp_path / "run.txt", code, export_wells(rows))
    broken = tmp_path / "broken.xlsx"
    broken.write_text("well,target,ct\n", encoding="utf-8")
    twin = write_workbook(tmp_path / "run.xlsx", code, export_wells(rows))
    r = run(url, "results", "import", "day1", str(good), str(broken), str(twin))
    assert 1 == r.exit_code, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith(f"{good}: plate {code} (quantstudio") and f"{len(tubes)} recorded" in lines[0]
    refused = next(i for i, line in enumerate(lines) if line.startswith("refused:"))
    assert f"{broken}: named as an Excel workbook, but it is a text file" in lines[refused]
    assert os.path.exists(f"{broken}.problems.csv")
    assert any(line.startswith(f"{twin}: plate {code}") and f"{len(tubes)} unchanged" in line for line in lines)
    assert "3 files: 2 imported or already in, 1 refused" in r.output
    assert len(tubes) == _resulted(url)


def test_plate_goes_with_one_file_only(
    plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path
) -> None:
    """--plate with two files is a usage error; nothing is imported."""
    url, code, rows, _ = plated
    a = write_export(tmp_path / "a.txt", code, export_wells(rows))
    r = run(url, "results", "import", "day1", str(a), str(a), "--plate", code)
    assert 2 == r.exit_code and "--plate names the plate of one export" in r.output
    assert 0 == _resulted(url)


class _Lines:
    """A child's stdout, line by line, read on a thread so the test can wait with a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stdout is not None
        stdout = proc.stdout

        def pump() -> None:
            for line in stdout:
                self.queue.put(line.rstrip("\n"))

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, needle: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        for line in self.seen:
            if needle in line:
                return line
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no line with {needle!r} within {timeout} s; saw {self.seen}")

    def drain(self) -> list[str]:
        while True:
            try:
                self.seen.append(self.queue.get(timeout=0.5))
            except queue.Empty:
                return self.seen


@pytest.mark.slow
def test_watch_takes_each_export_once_when_complete(
    plated: tuple[str, str, list[dict[str, str]], list[str]], tmp_path: Path
) -> None:
    """A real `poolab results watch`: a refused file renamed in gets its problems file and
    the watch goes on; an export written slowly is taken once, when it stops growing; a
    workbook renamed in is taken once; SIGTERM ends the watch cleanly (exit 0, a last
    line); each file has exactly one line."""
    url, code, rows, tubes = plated
    folder = tmp_path / "exports"
    folder.mkdir()
    staging = tmp_path / "staging"
    staging.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from poolab_cli.main import main; main()", "--db", url, "--operator", "watcher"]
        + ["results", "watch", "day1", str(folder), "--settle", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )
    lines = _Lines(proc)
    try:
        lines.wait_for("watching")
        # a file refused (an export for a plate that does not exist), renamed in whole
        wrong = write_export(staging / "wrong.txt", "L000000098P", export_wells(rows))
        os.rename(wrong, folder / "wrong.txt")
        assert "no plate L000000098P" in lines.wait_for("refused:")
        assert (folder / "wrong.txt.problems.csv").exists()
        # the real export, written slowly: a few hundred bytes every 0.3 s over 3 s
        data = write_export(staging / "run.txt", code, export_wells(rows)).read_bytes()
        step = len(data) // 10 + 1
        with open(folder / "run.txt", "wb") as f:
            for start in range(0, len(data), step):
                f.write(data[start : start + step])
                f.flush()
                time.sleep(0.3)
        line = lines.wait_for(f"{folder / 'run.txt'}: plate {code}")
        assert f"{len(tubes)} recorded" in line
        # a workbook of the same run renamed in: taken once, every call unchanged
        twin = write_workbook(staging / "run.xlsx", code, export_wells(rows))
        os.rename(twin, folder / "run.xlsx")
        assert f"{len(tubes)} unchanged" in lines.wait_for(f"{folder / 'run.xlsx'}: plate {code}")
        time.sleep(2.5)  # long enough for any second take of a file to show
    finally:
        proc.send_signal(signal.SIGTERM)
        code_ = proc.wait(timeout=60)
    seen = lines.drain()
    assert proc.stdout is not None
    proc.stdout.close()
    assert 0 == code_, seen
    assert seen[-1].startswith(f"stopped watching {folder}: 2 imported or already in, 1 refused"), seen
    for name in ("wrong.txt", "run.txt", "run.xlsx"):
        assert 1 == sum(str(folder / name) in line for line in seen if not line.startswith(" ")), (name, seen)
    assert not any("Traceback" in line for line in seen), seen
    assert len(tubes) == _resulted(url)
