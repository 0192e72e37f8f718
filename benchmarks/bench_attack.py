"""The attack's own figures (issue 21), against the current code, through the CLI.

Run from the repository root: ``.venv/bin/python benchmarks/bench_attack.py [--quick]
[--kills N] [--rounds R] [--requests M] [--pg URL]``.

Every command is the installed ``poolab`` in a subprocess of its own, as a person or a
script runs it:

* **bad inputs**: a list of hostile files and arguments (from ``tests/test_hostile_input*.py``
  and the issue's list). A case *held* when the command exited 1 (or 2 with Click's
  one-line usage error, for a path that is a folder or missing), printed no traceback,
  named the file (or the value) at fault in a short message (every line under 400
  characters, under 8 KB in all), and left the store unchanged (every table's row count).
* **kills**: ``roster import`` and ``results import`` killed with SIGKILL at a random
  moment; held when the store passes ``PRAGMA integrity_check``, holds all or nothing of
  the file, and running the import again completes it.
* **races** (with ``--pg URL``): rounds of the same 20 tubes received at once by three
  ``poolab receive`` processes on one PostgreSQL store; held when every tube is received
  once (0 lost) and the processes' accepted counts add up to 20 (0 doubled).
* **web**: requests to a ``poolab serve --token`` process: without, with a wrong and with
  the right token, a foreign Host header, a POST, a path out of /static, the security
  headers; then the page again behind 1,100 idle connections.

The default run takes under 5 minutes on 2 cores; ``--quick`` (every bad input, fewer of
the rest) about half that.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

POOLAB = str(Path(sys.executable).parent / "poolab")
TOKEN = "attack-bench-token-0123456789"
HEADER = "resident_id,name,id_number,phone,compound,building,unit,room,household_id\n"
GOOD = "R1,张三,11010519491231002X,13800000000,建设小区,1,1,101,H1\n"


def poolab(db: str, *args: str, cwd: Path, stdin: bytes | None = None, timeout: float = 120) -> tuple[int, str]:
    """(exit status, stdout and stderr) of one command; a hang counts as exit status -1."""
    try:
        proc = subprocess.run(
            [POOLAB, "--db", db, "--operator", "attacker", *args],
            cwd=cwd,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, f"hung for {timeout} s"
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace")


def table_counts(path: Path) -> dict[str, int]:
    """Rows of every table of a SQLite store (what "the store unchanged" compares)."""
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


# ------------------------------------------------------------------ bad inputs


@attrs.frozen
class Case:
    """A hostile command: ``args`` (``{dir}`` is the working folder), the file it makes
    first (name, bytes, or a callable writing it), and the word its message must hold."""

    name: str
    args: tuple[str, ...]
    names: str
    make: Callable[[Path], None] | None = None
    stdin: bytes | None = None


def _file(name: str, data: bytes) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).write_bytes(data)

    return make


def _folder(name: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).mkdir(exist_ok=True)

    return make


def _endless_line(name: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        path = folder / name
        path.write_bytes(HEADER.encode() + b"R" * (20 << 20))  # 20 MiB without a line break

    return make


def bad_input_cases(codes: Sequence[str]) -> list[Case]:
    """The list: rosters, scans, results, campaign names, plans, outputs."""
    wide = (HEADER.strip() + "," + ",".join(f"x{i}" for i in range(200_000)) + "\n" + GOOD).encode()
    good_code = codes[0]
    wrong_check = good_code[:-1] + ("A" if good_code[-1] != "A" else "B")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in codes[1])
    r = ("roster", "import")
    return [
        Case("roster /dev/zero", (*r, "/dev/zero"), "/dev/zero"),
        Case("roster 200,000 columns", (*r, "wide.csv"), "wide.csv", _file("wide.csv", wide)),
        Case("roster 20 MiB line", (*r, "long.csv"), "long.csv", _endless_line("long.csv")),
        Case("roster NUL bytes", (*r, "nul.csv"), "nul.csv", _file("nul.csv", HEADER.encode() + b"R9\x00,a\n")),
        Case(
            "roster Latin-1",
            (*r, "l1.csv"),
            "l1.csv",
            _file("l1.csv", (HEADER + "R9,Zoë,,,a,1,1,1,H9\n").encode("latin-1")),
        ),
        Case("roster missing column", (*r, "mc.csv"), "mc.csv", _file("mc.csv", b"resident_id,name\nR9,a\n")),
        Case("roster no header", (*r, "nh.csv"), "nh.csv", _file("nh.csv", GOOD.encode())),
        Case("roster duplicate id", (*r, "dup.csv"), "dup.csv", _file("dup.csv", (HEADER + GOOD + GOOD).encode())),
        Case(
            "roster wrong ID check",
            (*r, "idn.csv"),
            "idn.csv",
            _file("idn.csv", (HEADER + "R9,a,110105194912310021,,c,1,1,1,H9\n").encode()),
        ),
        Case(
            "roster unclosed quote", (*r, "q.csv"), "q.csv", _file("q.csv", (HEADER + 'R9,"a,,,c,1,1,1,H9\n').encode())
        ),
        Case(
            "roster 5 MB cell",
            (*r, "cell.csv"),
            "cell.csv",
            _file("cell.csv", (HEADER + "R9," + "a" * 5_000_000 + ",,,c,1,1,1,H9\n").encode()),
        ),
        Case(
            "roster field count",
            (*r, "fc.csv"),
            "fc.csv",
            _file("fc.csv", (HEADER + "R9,a,,,c,1,1,1,H9,extra,more\n").encode()),
        ),
        Case("roster empty file", (*r, "empty.csv"), "empty.csv", _file("empty.csv", b"")),
        Case("roster a folder", (*r, "adir"), "adir", _folder("adir")),
        Case("roster missing file", (*r, "nosuch.csv"), "nosuch.csv"),
        Case(
            "receive wrong check", ("receive", "day1", "s1.txt"), "s1.txt", _file("s1.txt", f"{wrong_check}\n".encode())
        ),
        Case("receive unknown tube", ("receive", "day1", "s2.txt"), "s2.txt", _file("s2.txt", b"P999999999Z\n")),
        Case("receive NUL line", ("receive", "day1", "s3.txt"), "s3.txt", _file("s3.txt", b"P0\x00001\n")),
        Case("receive twice", ("receive", "day1", "s4.txt"), "s4.txt", _file("s4.txt", f"{full_width}\n".encode())),
        Case("receive /dev/zero", ("receive", "day1", "/dev/zero"), "/dev/zero"),
        Case(
            "results never received",
            ("results", "import", "day1", "r1.csv"),
            "r1.csv",
            _file("r1.csv", f"tube_barcode,result\n{codes[-1]},negative\n".encode()),
        ),
        Case(
            "results bad word",
            ("results", "import", "day1", "r2.csv"),
            "r2.csv",
            _file("r2.csv", f"tube_barcode,result\n{good_code},maybe\n".encode()),
        ),
        Case(
            "results Ct out of range",
            ("results", "import", "day1", "r3.csv"),
            "r3.csv",
            _file("r3.csv", f"tube_barcode,result,ct_orf1ab,ct_n\n{good_code},positive,99,-5\n".encode()),
        ),
        Case("results /dev/zero", ("results", "import", "day1", "/dev/zero"), "/dev/zero"),
        Case("campaign escape", ("campaign", "new", "day\x1b[2J"), "campaign name"),
        Case("campaign newline", ("campaign", "new", "day\n2"), "campaign name"),
        Case("campaign 10,000 chars", ("campaign", "new", "d" * 10_000), "campaign name"),
        Case("campaign pool size 0", ("campaign", "new", "p0", "--pool-size", "0"), "pool"),
        Case("roster demo 10^12", ("roster", "demo", "-o", "big.csv", "--residents", "1000000000000"), "memory"),
        Case(
            "simulate 10^12",
            ("simulate", "--design", "dorfman:10", "--residents", "1000000000000", "--prevalence", "0.01"),
            "memory",
        ),
        Case("plan prevalence 2", ("plan", "opchar", "--design", "dorfman:10", "--prevalence", "2"), "prevalence"),
        Case("manifest onto a folder", ("manifest", "day1", "-o", "adir2"), "adir2", _folder("adir2")),
        Case("unknown campaign", ("status", "nosuch"), "nosuch"),
    ]


def held(case: Case, rc: int, output: str, before: dict[str, int], after: dict[str, int]) -> str | None:
    """None when the case held; else why not."""
    if rc != 1 and not (rc == 2 and "Error:" in output):  # 2: Click's usage error, one line
        return f"exit status {rc}"
    if "Traceback" in output:
        return "traceback"
    if len(output) > 8192 or any(len(line) > 400 for line in output.splitlines()):
        return f"message too long ({len(output):,} characters)"
    if case.names not in output:
        return f"does not name {case.names!r}"
    if before != after:
        changed = {k: (before.get(k), after.get(k)) for k in set(before) | set(after) if before.get(k) != after.get(k)}
        return f"store changed: {changed}"
    return None


def run_bad_inputs(
    folder: Path, db: str, store: Path, codes: Sequence[str], timeout: float = 120
) -> tuple[int, int, list[str]]:
    cases = bad_input_cases(codes)
    failures = []
    for case in cases:
        if case.make is not None:
            case.make(folder)
        before = table_counts(store)
        rc, output = poolab(db, *case.args, cwd=folder, stdin=case.stdin, timeout=timeout)
        why = held(case, rc, output, before, table_counts(store))
        if why is not None:
            failures.append(f"{case.name}: {why} :: {output.strip().splitlines()[:1]}")
    return len(cases) - len(failures), len(failures), failures


# ------------------------------------------------------------------ kills


def _received_store(folder: Path, residents: int) -> tuple[Path, list[str]]:
    """A SQLite store with a roster, campaign day1 and every tube but the last received;
    its codes."""
    store = folder / "base.db"
    db = f"sqlite:///{store}"
    roster = folder / "roster.csv"
    for args in (
        ["init"],
        [
            "roster",
            "demo",
            "-o",
            str(roster),
            "--residents",
            str(residents),
            "--households",
            str(residents * 3 // 5),
            "--compounds",
            "4",
        ],
        ["roster", "import", str(roster)],
        ["campaign", "new", "day1"],
        ["manifest", "day1", "-o", str(folder / "m.csv")],
    ):
        rc, out = poolab(db, *args, cwd=folder)
        assert rc == 0, (args, out)
    lines = (folder / "m.csv").read_text(encoding="utf-8").splitlines()[1:]
    codes = list(dict.fromkeys(line.split(",", 1)[0] for line in lines))
    rc, out = poolab(db, "receive", "day1", "-", cwd=folder, stdin=("\n".join(codes[:-1]) + "\n").encode())
    assert rc == 0, out
    return store, codes


def _status(db: str, folder: Path) -> dict[str, object]:
    rc, out = poolab(db, "status", "day1", "--json", cwd=folder)
    assert rc == 0, out
    return json.loads(out[out.index("{") :])


def _killed(db: str, args: Sequence[str], cwd: Path, delay: float) -> None:
    proc = subprocess.Popen([POOLAB, "--db", db, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def run_kills(folder: Path, trials: int, rng: random.Random) -> tuple[int, int, list[str]]:
    base, codes = _received_store(folder, 3000)
    big = folder / "big-roster.csv"
    rc, out = poolab(
        f"sqlite:///{folder / 'unused.db'}",
        "roster",
        "demo",
        "-o",
        str(big),
        "--residents",
        "40000",
        "--households",
        "24000",
        "--compounds",
        "8",
        cwd=folder,
    )
    assert rc == 0, out
    received = codes[:-1]
    results = folder / "results.csv"
    results.write_text("tube_barcode,result\n" + "".join(f"{c},negative\n" for c in received), encoding="utf-8")
    empty = folder / "empty.db"
    assert poolab(f"sqlite:///{empty}", "init", cwd=folder)[0] == 0
    failures = []
    for i in range(trials):
        trial = folder / f"kill{i}.db"
        db = f"sqlite:///{trial}"
        roster_trial = i % 2 == 0
        shutil.copy(empty if roster_trial else base, trial)
        args = ["roster", "import", str(big)] if roster_trial else ["results", "import", "day1", str(results)]
        _killed(db, args, folder, rng.uniform(0.5, 3.0))
        with sqlite3.connect(trial) as conn:
            ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        counts = table_counts(trial)
        what = "roster" if roster_trial else "results"
        if ok != "ok":
            failures.append(f"{what} kill {i}: integrity_check {ok}")
            continue
        rows = counts.get("resident", -1) if roster_trial else counts.get("result", -1)
        whole = {0, 40000} if roster_trial else {0, len(received)}
        if rows not in whole:
            failures.append(f"{what} kill {i}: {rows} rows kept (all or nothing: {sorted(whole)})")
            continue
        rc, out = poolab(db, *args, cwd=folder)
        rows = table_counts(trial).get("resident" if roster_trial else "result", -1)
        if rc != 0 or rows != max(whole):
            failures.append(f"{what} kill {i}: rerun rc {rc}, {rows} rows :: {out.strip()[:200]}")
    return trials - len(failures), len(failures), failures


# ------------------------------------------------------------------ races


def _pg_schema(base: str) -> tuple[str, Callable[[], None]]:
    from sqlalchemy import create_engine, text

    from poolab.store.engine import resolve_url

    schema = f"attack_{uuid.uuid4().hex[:10]}"
    admin = create_engine(resolve_url(base))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def run_races(folder: Path, pg: str, rounds: int, rng: random.Random, stations: int = 3) -> tuple[int, int, list[str]]:
    url, drop = _pg_schema(pg)
    failures = []
    try:
        roster = folder / "race-roster.csv"
        for args in (
            ["init"],
            [
                "roster",
                "demo",
                "-o",
                str(roster),
                "--residents",
                str(20 * rounds + 20),
                "--households",
                str(12 * rounds + 12),
                "--compounds",
                "2",
            ],
            ["roster", "import", str(roster)],
            ["campaign", "new", "race", "--pool-size", "1"],
            ["manifest", "race", "-o", str(folder / "race.csv")],
        ):
            rc, out = poolab(url, *args, cwd=folder)
            assert rc == 0, (args, out)
        lines = (folder / "race.csv").read_text(encoding="utf-8").splitlines()[1:]
        codes = list(dict.fromkeys(line.split(",", 1)[0] for line in lines))
        for r in range(rounds):
            batch = codes[20 * r : 20 * r + 20]
            before = _received(url, folder)
            procs = []
            for s in range(stations):
                order = batch[:]
                rng.shuffle(order)
                p = subprocess.Popen(
                    [POOLAB, "--db", url, "--operator", f"station{s}", "receive", "race", "-"],
                    cwd=folder,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                procs.append((p, ("\n".join(order) + "\n").encode()))
            accepted = 0
            for p, data in procs:
                said, _ = p.communicate(data, timeout=120)
                m = re.search(r"(\d+) tubes accepted", said.decode("utf-8", "replace"))
                accepted += int(m.group(1)) if m else 0
            gained = _received(url, folder) - before
            if gained != len(batch) or accepted != len(batch):
                failures.append(f"round {r}: {len(batch) - gained} lost, {accepted - len(batch)} doubled")
    finally:
        drop()
    return rounds - len(failures), len(failures), failures


def _received(url: str, folder: Path) -> int:
    """Tubes of campaign race received (or resulted), read by the library in this process
    (a process start per round would double the rounds' time)."""
    from poolab.reports.status import campaign_status
    from poolab.store.engine import open_store

    store = open_store(url)
    try:
        tubes = campaign_status(store, "race").tubes
        return int(tubes.received) + int(tubes.resulted)
    finally:
        store.dispose()


# ------------------------------------------------------------------ web


def _request(
    url: str, *, token: str | None = None, method: str = "GET", host: str | None = None
) -> tuple[int, dict[str, str]]:
    req = urllib.request.Request(url, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    if host is not None:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            response.read()
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}
    except OSError:
        return -1, {}


def _usual_file_limit() -> None:
    """The server starts with the usual soft limit of 1,024 open files (this script has
    raised its own to open 1,100 sockets); the server may raise it itself."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))


def run_web(folder: Path, store: Path, requests: int) -> tuple[int, int, list[str]]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    err_path = folder / "serve.err"
    env = {**os.environ, "POOLAB_TOKEN": TOKEN}
    with open(err_path, "w") as err:
        proc = subprocess.Popen(
            [POOLAB, "--db", f"sqlite:///{store}", "serve", "--port", "0"],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            preexec_fn=_usual_file_limit,  # the child only sets its own limit
        )
    failures = []
    done = 0
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base = line.split(" at ", 1)[1].split("campaigns", 1)[0]
        checks: list[tuple[str, Callable[[], bool]]] = [
            ("no token: 401", lambda: _request(base + "campaigns")[0] == 401),
            ("wrong token: 401", lambda: _request(base + "campaigns", token="x" * 30)[0] == 401),
            ("token: 200", lambda: _request(base + "campaigns", token=TOKEN)[0] == 200),
            ("page: 200", lambda: _request(base + "campaigns/day1", token=TOKEN)[0] == 200),
            ("api: 200", lambda: _request(base + "api/campaigns/day1/status", token=TOKEN)[0] == 200),
            (
                "foreign Host: refused",
                lambda: _request(base + "campaigns", token=TOKEN, host="evil.example")[0] in (400, 403, 421),
            ),
            ("POST: refused", lambda: _request(base + "campaigns", token=TOKEN, method="POST")[0] in (403, 405)),
            ("out of /static: 404", lambda: _request(base + "static/..%2f..%2fbase.db", token=TOKEN)[0] in (400, 404)),
            ("headers", lambda: "content-security-policy" in _request(base + "campaigns", token=TOKEN)[1]),
            ("unknown campaign: 404", lambda: _request(base + "campaigns/nosuch", token=TOKEN)[0] == 404),
        ]
        for i in range(requests):
            name, check = checks[i % len(checks)]
            done += 1
            if not check():
                failures.append(f"request {i}: {name}")
        port = int(base.rstrip("/").rsplit(":", 1)[1])
        idle = []
        try:
            for _ in range(1100):  # the attack: idle connections, no token needed
                s = socket.socket()
                s.settimeout(5)
                try:
                    s.connect(("127.0.0.1", port))
                except OSError:
                    s.close()
                    continue
                idle.append(s)
            started = time.monotonic()
            status = _request(base + "campaigns/day1", token=TOKEN)[0]
            done += 1
            if status != 200 or time.monotonic() - started > 5:
                failures.append(f"behind 1,100 idle connections: status {status} in {time.monotonic() - started:.1f} s")
        finally:
            for s in idle:
                s.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    done += 1
    if len(stderr) > 2000:
        failures.append(f"server stderr {len(stderr):,} characters")
    return done - len(failures), len(failures), failures


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="every bad input, fewer kills, rounds and requests")
    parser.add_argument("--kills", type=int, default=None, help="kill -9 trials (default 8; --quick 2)")
    parser.add_argument("--rounds", type=int, default=None, help="PostgreSQL race rounds (default 8; --quick 2)")
    parser.add_argument("--requests", type=int, default=None, help="web requests (default 100; --quick 30)")
    parser.add_argument("--pg", default=os.environ.get("POOLAB_TEST_DATABASE_URL"), help="PostgreSQL URL for the races")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--timeout", type=float, default=120, help="seconds after which a bad input counts as a hang")
    args = parser.parse_args()
    kills = args.kills if args.kills is not None else (2 if args.quick else 8)
    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 8)
    requests = args.requests if args.requests is not None else (30 if args.quick else 100)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    rows: list[tuple[str, int, int, float]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="poolab-attack-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        store, codes = _received_store(folder, 600)
        work = folder / "bad"
        work.mkdir()
        shutil.copy(store, work / "p.db")
        ok, bad, why = run_bad_inputs(work, f"sqlite:///{work / 'p.db'}", work / "p.db", codes, args.timeout)
        rows.append(("bad inputs", ok, bad, time.perf_counter() - t))
        notes += why
        t = time.perf_counter()
        kfolder = folder / "kills"
        kfolder.mkdir()
        ok, bad, why = run_kills(kfolder, kills, rng)
        rows.append(("kill -9 trials", ok, bad, time.perf_counter() - t))
        notes += why
        if args.pg:
            t = time.perf_counter()
            rfolder = folder / "races"
            rfolder.mkdir()
            ok, bad, why = run_races(rfolder, args.pg, rounds, rng)
            rows.append(("PostgreSQL race rounds", ok, bad, time.perf_counter() - t))
            notes += why
        t = time.perf_counter()
        ok, bad, why = run_web(folder, store, requests)
        rows.append(("web requests", ok, bad, time.perf_counter() - t))
        notes += why
    print(f"attack on {Path(POOLAB).resolve()} ({time.perf_counter() - t0:.0f} s in all)")
    print("| part | held | failed | seconds |")
    print("|---|---|---|---|")
    for name, ok, bad, seconds in rows:
        print(f"| {name} | {ok} | {bad} | {seconds:.0f} |")
    for note in notes:
        print(f"- failed: {note[:300]}")


if __name__ == "__main__":
    main()
