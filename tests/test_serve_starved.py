"""The command post cannot be starved by idle connections (issue 21): a real ``poolab
serve`` process, allowed few open files, and more idle sockets than it can hold; a real
client still gets the page, and the server's stderr stays small.

The server's hard limit of open files is lowered in the child (256), so that a few
hundred sockets are "more than the limit" here as 1,100 were on the attacked machine.
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

POOLAB = str(Path(sys.executable).parent / "poolab")
FILES = 256
IDLE = 400  # more sockets than the server may hold open files


def _few_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILES, FILES))


def _enough_files_here() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < IDLE + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))


def _get(url: str, timeout: float) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read()
        return int(response.status)


@pytest.fixture
def few_files_server(tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """(page URL, port, stderr file) of a ``poolab serve`` allowed FILES open files."""
    _enough_files_here()
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert 0 == subprocess.run([POOLAB, "--db", db, "init"], capture_output=True, check=False).returncode
    err_path = tmp_path / "serve.err"
    with open(err_path, "w") as err:
        proc = subprocess.Popen(
            [POOLAB, "--db", db, "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            preexec_fn=_few_files,
        )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "poolab command post at http://127.0.0.1:" in line, line + err_path.read_text()
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        yield url, int(url.split(":")[2].split("/")[0]), err_path
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()


def _idle_sockets(port: int, count: int) -> list[socket.socket]:
    """Connections that send nothing, as the attack's did."""
    out = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        out.append(s)
    return out


@pytest.mark.slow
def test_idle_sockets_cannot_starve_the_page(few_files_server: tuple[str, int, Path]) -> None:
    url, port, err_path = few_files_server
    idle = _idle_sockets(port, IDLE)
    try:
        time.sleep(1.0)  # the server has accepted what it will
        for _ in range(5):  # a real client, several times, each well within its time
            assert 200 == _get(url, timeout=8.0)
        idle += _idle_sockets(port, IDLE // 2)  # a fresh wave on top
        assert 200 == _get(url, timeout=8.0)
    finally:
        for s in idle:
            s.close()
    time.sleep(0.5)
    stderr = err_path.read_text()
    assert len(stderr) < 2000, stderr[:3000]
    assert "Traceback" not in stderr, stderr[:3000]


@pytest.mark.slow
def test_a_slow_sender_is_closed_after_the_header_timeout(few_files_server: tuple[str, int, Path]) -> None:
    """Part of a request, then nothing: the server closes the connection (it would
    otherwise hold it for ever)."""
    from poolab.web.connections import HEADER_TIMEOUT

    _, port, _ = few_files_server
    (s,) = _idle_sockets(port, 1)
    with s:
        s.sendall(b"GET /campaigns HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        s.settimeout(HEADER_TIMEOUT + 10)
        started = time.monotonic()
        assert b"" == s.recv(1024)  # closed by the server, nothing answered
        assert time.monotonic() - started < HEADER_TIMEOUT + 5


def test_out_of_files_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """asyncio logs a refused accept with a traceback each time (306,329 in a minute in
    the attack); with the filter, the first is one line and the rest are dropped."""
    import errno
    import logging

    from poolab.web.connections import OutOfFilesOnce

    logger = logging.getLogger("asyncio.test-out-of-files")
    logger.addFilter(OutOfFilesOnce())
    with caplog.at_level(logging.ERROR, logger=logger.name):
        for _ in range(1000):
            try:
                raise OSError(errno.EMFILE, "Too many open files")
            except OSError:
                logger.exception("socket.accept() out of system resource")
        logger.error("something else")
    messages = [r.getMessage() for r in caplog.records]
    assert 2 == len(messages), messages[:3]
    assert "out of open files" in messages[0] and caplog.records[0].exc_info is None
    assert "something else" == messages[1]
