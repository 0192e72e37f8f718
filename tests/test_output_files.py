"""Where ``-o`` writes (issue 21, Data and Privacy): a device, a FIFO or a descriptor is
written in place, never replaced by a regular file; a symlink keeps being a link and its
target is updated; the temporary file of a killed export is removed by the next run;
every file that can hold names or ID numbers is created 0600 whatever the umask."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from poolab.files.atomic import host_name
from tests.workflow import read_csv, run, write_results

pytestmark = pytest.mark.store

REPO = Path(__file__).resolve().parents[1]
_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def campaign(store_url: str, small_roster_csv: Path) -> str:
    """A store with the small district and a campaign ``c``."""
    assert 0 == run(store_url, "init").exit_code
    assert 0 == run(store_url, "roster", "import", str(small_roster_csv)).exit_code
    assert 0 == run(store_url, "campaign", "new", "c").exit_code
    return store_url


@pytest.fixture
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _parts(*folders: Path) -> list[str]:
    return [p.name for f in folders for p in f.iterdir() if p.name.endswith(".part")]


def test_a_fifo_is_written_in_place(campaign: str, tmp_path: Path) -> None:
    """-o a FIFO: the reader gets the manifest and the FIFO is still a FIFO (it used to be
    replaced by a regular file that no reader ever saw)."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as f:
            got.append(f.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    r = run(campaign, "manifest", "c", "-o", str(fifo))
    thread.join(timeout=10)  # a daemon: left blocked if the FIFO was renamed over
    assert 0 == r.exit_code, r.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced"
    assert got and got[0].startswith(b"tube_barcode,slot,") and got[0].count(b"\n") == 601
    assert not _parts(tmp_path)


@pytest.mark.skipif(not _ROOT, reason="making a device node needs root")
def test_a_device_is_written_in_place_and_a_full_one_refused(campaign: str, tmp_path: Path) -> None:
    """-o onto a character device (copies of /dev/null and /dev/full made in the test's
    folder, so a failure replaces no real device): the node stays a device; a full one
    is one line naming it, exit 1."""
    null, full = tmp_path / "null", tmp_path / "full"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        os.mknod(full, stat.S_IFCHR | 0o666, os.makedev(1, 7))
        with open(null, "wb"):
            pass
    except OSError as exc:  # a folder on a nodev mount: try the real /dev/null below
        pytest.skip(f"no device nodes here: {exc}")
    r = run(campaign, "manifest", "c", "-o", str(null))
    assert 0 == r.exit_code, r.output
    assert stat.S_ISCHR(os.lstat(null).st_mode), "the device node was replaced"
    r = run(campaign, "manifest", "c", "-o", str(full))
    assert 1 == r.exit_code
    assert stat.S_ISCHR(os.lstat(full).st_mode), "the device node was replaced"
    assert "No space left on device" in r.output and str(full) in r.output and "Traceback" not in r.output
    assert not _parts(tmp_path)
    # and the real one: still the device afterwards
    assert 0 == run(campaign, "manifest", "c", "-o", "/dev/null").exit_code
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_proc_self_fd_1_is_standard_output(campaign: str, tmp_path: Path) -> None:
    """-o /proc/self/fd/1 in a real process: the manifest comes out on its standard output."""
    proc = subprocess.run(
        [sys.executable, "-m", "poolab_cli.main", "--db", campaign, "manifest", "c", "-o", "/proc/self/fd/1"],
        capture_output=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert 0 == proc.returncode, proc.stderr
    assert proc.stdout.startswith(b"tube_barcode,slot,") and proc.stdout.count(b"\n") >= 601


def test_a_symlink_stays_a_link_and_its_target_is_updated(campaign: str, tmp_path: Path) -> None:
    """-o a symlink: the file it points to gets the manifest (written beside it, renamed
    there), and the link is still the link."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "real.csv"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    r = run(campaign, "manifest", "c", "-o", str(link))
    assert 0 == r.exit_code, r.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert 600 == len(read_csv(target))
    assert not _parts(tmp_path, elsewhere)


def _export_child(url: str, out: Path, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "poolab_cli.main", "--db", url, "manifest", "c", "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
    )


@pytest.mark.slow
def test_a_killed_exports_part_file_is_removed_by_the_next_run(campaign: str, tmp_path: Path) -> None:
    """kill -9 of a real PDF export while its temporary file is open: the .part stays;
    the next export to the same name removes it (a live writer's is left alone)."""
    out = tmp_path / "m.pdf"
    child = _export_child(campaign, out, tmp_path)
    deadline = time.monotonic() + 120
    while not _parts(tmp_path) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    assert child.poll() is None, "the export ended before its temporary file was seen"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    left = _parts(tmp_path)
    assert len(left) == 1 and left[0].startswith(".m.pdf.")
    assert left[0].startswith(f".m.pdf.{host_name()}.{child.pid}.")
    # a live writer's temporary file (this test process's pid) must survive the rerun, and
    # so must one of another machine sharing the folder (its process numbers mean nothing here)
    live = tmp_path / f".m.pdf.{host_name()}.{os.getpid()}.abcdefgh.part"
    live.write_bytes(b"")
    remote = tmp_path / f".m.pdf.another-host.{child.pid}.ijklmnop.part"
    remote.write_bytes(b"")
    r = run(campaign, "manifest", "c", "-o", str(out))
    assert 0 == r.exit_code, r.output
    assert out.read_bytes().startswith(b"%PDF")
    assert sorted(_parts(tmp_path)) == sorted([live.name, remote.name])


def test_personal_exports_are_owner_only_whatever_the_umask(campaign: str, tmp_path: Path, umask_022: None) -> None:
    """Under umask 022 the unmasked manifest and positives, the retest list, the PDFs and
    a problems file are 0600; a plate map (tubes and wells only) follows the umask."""
    url = campaign
    run(url, "manifest", "c", "-o", str(tmp_path / "m.csv"))
    codes = list(dict.fromkeys(x["tube_barcode"] for x in read_csv(tmp_path / "m.csv")))
    run(url, "receive", "c", "-", input="\n".join(codes) + "\n")
    run(url, "results", "import", "c", str(write_results(tmp_path / "p.csv", [(codes[0], "positive", "", "")])))
    made = {
        "manifest --unmasked": (["manifest", "c", "--unmasked", "-o"], tmp_path / "mu.csv"),
        "manifest pdf": (["manifest", "c", "-o"], tmp_path / "m.pdf"),
        "labels": (["labels", "c", "-o"], tmp_path / "l.pdf"),
        "retest": (["retest", "c", "-o"], tmp_path / "retest.csv"),
        "positives --unmasked": (["positives", "c", "--unmasked", "-o"], tmp_path / "pos.csv"),
    }
    for what, (args, path) in made.items():
        r = run(url, *args, str(path))
        assert 0 == r.exit_code, (what, r.output)
    bad = tmp_path / "bad.csv"
    header = "resident_id,name,id_number,phone,compound,building,unit,room,household_id\n"
    broken = "".join(f"R{i},张三,,,和平里,2,1,302,H2,extra\n" for i in range(60))  # more than are shown
    bad.write_text(header + broken, encoding="utf-8")
    assert 1 == run(url, "roster", "import", str(bad)).exit_code
    made["problems file"] = ([], Path(f"{bad}.problems.csv"))
    for what, (_, path) in made.items():
        assert path.exists(), what
        assert 0o600 == path.stat().st_mode & 0o777, (what, oct(path.stat().st_mode))
    os.chmod(tmp_path / "m.csv", 0o644)
    rerun = run(url, "manifest", "c", "--unmasked", "-o", str(tmp_path / "m.csv"))  # an existing 0644 file
    assert 0 == rerun.exit_code
    assert 0o600 == (tmp_path / "m.csv").stat().st_mode & 0o777


def test_an_old_nameless_part_file_goes_a_fresh_one_stays(campaign: str, tmp_path: Path) -> None:
    """Temporary files that name no process (an older poolab's): one untouched for two
    days is removed by the next export to that name, one written a minute ago is left
    (it may be a live export's); another name's are never looked at."""
    old, fresh = tmp_path / ".m.csv.abcdefgh.part", tmp_path / ".m.csv.ijklmnop.part"
    other = tmp_path / ".n.csv.qrstuvwx.part"
    for path in (old, fresh, other):
        path.write_bytes(b"half a manifest")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    os.utime(other, (two_days_ago, two_days_ago))
    assert 0 == run(campaign, "manifest", "c", "-o", str(tmp_path / "m.csv")).exit_code
    assert sorted(_parts(tmp_path)) == sorted([fresh.name, other.name])
