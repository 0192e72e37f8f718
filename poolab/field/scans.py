"""Scan streams: one scan per line, from a file or standard input, and how their good
scans are committed.

Lines are counted the way an editor shows them (a line ends at LF, CRLF or a lone CR,
which some scanners send) and decoded one at a time, so one unreadable line (a NUL byte,
a stray Latin-1 byte) is reported alone and every other scan is kept. A UTF-16 file
(Windows Notepad's "Unicode") is decoded whole.

Standard input is read as it arrives. When it goes quiet the reader says so (``None``),
and ``run_stream`` commits what is pending: a scan piped in by a station script or typed
by a handheld scanner is in the store within about a second, whatever comes after it.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, NamedTuple

import attrs

from poolab.errors import Problem, StoreFault, StoreLost
from poolab.files.whole import read_whole
from poolab.i18n import _

IDLE_SECONDS = 0.25
"""Quiet input for this long counts as a pause: pending scans are committed."""
COMMIT_SECONDS = 1.0
"""While scans keep flowing, pending ones are committed at least this often."""
_READ_SIZE = 1 << 16


@attrs.frozen(slots=True)
class ScanReport:
    """What a scan stream did: every good scan kept, every bad one reported."""

    accepted: int
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    fault: str | None = None  # the store failure that stopped the stream
    unsaved_from: int | None = None  # with a fault: the first line that may not be stored
    interrupted: bool = False  # stopped by Ctrl-C after committing what was pending
    lost: bool = False  # the store was deleted or replaced: nothing of this run is kept

    @property
    def refused(self) -> int:
        return len(self.problems)


class Scan(NamedTuple):
    """One line of a stream, decoded."""

    line: int
    text: str


class ScanBlock(NamedTuple):
    """Consecutive lines of a stream, decoded: line ``first`` is ``texts[0]``. A whole
    file's lines come as one block (no object per line), which ``run_stream`` hands out
    in slices (``take_block``) or, to a taker of single scans, line by line."""

    first: int
    texts: list[str]


class Unreadable(NamedTuple):
    """A line that could not be decoded: reported, the rest of the stream goes on."""

    line: int
    value: str  # its bytes in hex, shortened
    reason: str


StreamItem = Scan | ScanBlock | Unreadable | None
"""What a stream yields; None means the input has gone quiet."""


def _split_lines(data: bytes, *, final: bool, after_cr: bool) -> tuple[list[bytes], bytes, bool]:
    """Complete lines of ``data`` (LF, CRLF or CR ends a line), the unfinished rest, and
    whether the last line ended with a CR (a following LF then belongs to it)."""
    lines: list[bytes] = []
    start = 0
    if after_cr and data.startswith(b"\n"):
        start = 1
    n = len(data)
    i = start
    while i < n:
        c = data[i]
        if c == 0x0A or c == 0x0D:
            lines.append(data[start:i])
            if c == 0x0D:
                if i + 1 < n:
                    if data[i + 1] == 0x0A:
                        i += 1
                else:
                    after_cr = True
                    return lines, b"", after_cr
            start = i + 1
        i += 1
    after_cr = False
    rest = data[start:]
    if final and rest:
        lines.append(rest)
        rest = b""
    return lines, rest, after_cr


def decode_line(number: int, raw: bytes) -> Scan | Unreadable:
    """One line's bytes as text: UTF-8, else GB18030; NUL bytes and other encodings are
    refused with the line's bytes in hex."""
    if b"\x00" in raw:
        return Unreadable(number, raw[:12].hex(" "), _("line has NUL bytes (is the file UTF-16 without a BOM?)"))
    try:
        return Scan(number, raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return Unreadable(number, raw[:12].hex(" "), _("line is not UTF-8 or GB18030 text"))
    if any("\ue000" <= ch <= "\uf8ff" for ch in text):
        return Unreadable(number, raw[:12].hex(" "), _("line is not UTF-8 or GB18030 text"))
    return Scan(number, text)


def _looks_utf16(data: bytes) -> bool:
    """A UTF-16 BOM, and the NUL bytes UTF-16 gives ASCII text (every other byte): a
    scan file, not a first line of junk that happens to start with FF FE."""
    return data.startswith((b"\xff\xfe", b"\xfe\xff")) and data.count(b"\x00") * 3 >= len(data) - 2


def _lines_of_bytes(data: bytes) -> Iterator[Scan | ScanBlock | Unreadable]:
    if _looks_utf16(data):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            yield Unreadable(1, data[:12].hex(" "), _("file starts like UTF-16 but does not decode as UTF-16"))
            return
        data = text.encode("utf-8")
    if b"\x00" not in data:
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            pass
        else:  # the usual file: all of it at once
            body = text.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n")
            if body:
                # one block: a million lines cost a list of strings, not a million Scans
                yield ScanBlock(1, body.split("\n"))
            return
    lines, _rest, _cr = _split_lines(data, final=True, after_cr=False)
    for number, raw in enumerate(lines, start=1):
        yield decode_line(number, raw)


def _lines_of_fd(fd: int, idle: float) -> Iterator[StreamItem]:
    """Lines from a file descriptor as they arrive; None after ``idle`` seconds of quiet."""
    pending = b""
    after_cr = False
    number = 0
    first = True
    while True:
        ready, _, _ = select.select([fd], [], [], idle)
        if not ready:
            yield None
            continue
        chunk = os.read(fd, _READ_SIZE)
        if first and _looks_utf16(chunk):
            # UTF-16 from a pipe: read it all, then decode it whole
            rest = [chunk]
            while part := os.read(fd, _READ_SIZE):
                rest.append(part)
            yield from _lines_of_bytes(b"".join(rest))
            return
        first = False
        lines, pending, after_cr = _split_lines(pending + chunk, final=not chunk, after_cr=after_cr)
        for raw in lines:
            number += 1
            yield decode_line(number, raw)
        if not chunk:
            return


def _lines_of_stream(stream: BinaryIO) -> Iterator[Scan | ScanBlock | Unreadable]:
    """Lines of a stream without a file descriptor (a test's in-memory input)."""
    yield from _lines_of_bytes(stream.read())


def scan_lines(path: str | os.PathLike[str], *, stdin: BinaryIO | None = None) -> Iterator[StreamItem]:
    """The lines of a scan file, or of standard input for '-' (as they arrive, with a
    ``None`` whenever the input pauses)."""
    if os.fspath(path) != "-":
        yield from _lines_of_bytes(read_whole(path))
        return
    stream = stdin if stdin is not None else sys.stdin.buffer
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        yield from _lines_of_stream(stream)
        return
    yield from _lines_of_fd(fd, IDLE_SECONDS)


def source_name(path: str | os.PathLike[str]) -> str:
    """How a stream is named in messages."""
    return "<stdin>" if os.fspath(path) == "-" else os.fspath(path)


class StreamOutcome(NamedTuple):
    """How a stream ended: the store fault that stopped it, the first line whose scan
    may not be stored (None when every line read was handled), and whether it was
    interrupted (Ctrl-C)."""

    fault: str | None
    unsaved_from: int | None
    interrupted: bool
    lost: bool = False


def run_stream(
    items: Iterable[StreamItem],
    *,
    take: Callable[[Scan], None],
    refuse: Callable[[Problem], None],
    flush: Callable[[], None],
    pending: Callable[[], int],
    source: str,
    max_pending: int = 500,
    commit_seconds: float = COMMIT_SECONDS,
    settle: Callable[[], None] | None = None,
    in_flight: int = 1,
    take_block: Callable[[int, list[str]], None] | None = None,
) -> StreamOutcome:
    """Feed a stream's scans to ``take`` and commit them with ``flush``: when
    ``max_pending`` are waiting, when ``commit_seconds`` have passed since the last
    commit, when the input pauses, and at the end. A store fault stops the stream (what
    was committed stays); Ctrl-C commits what is pending and stops.

    With ``settle``, ``flush`` may return before its batch is stored (written on another
    thread while the stream reads on): ``settle`` waits for the oldest batch flushed and
    not settled, raising its store fault. Up to ``in_flight`` batches may be writing when
    the next flush starts (the flusher commits them in the order they were flushed, a
    batch only once the one before it is in); all are settled at the end. A fault then
    names the first line of the batch that met it: every batch after it was undone.

    With ``settle`` and ``in_flight`` over 1, the first batch is cut at half of
    ``max_pending``.

    With ``take_block``, a ``ScanBlock``'s lines go to it a slice at a time (its first
    line's number and the lines, none blank), each slice at most what fills the batch;
    otherwise, and for a slice with a blank line, they go to ``take`` one by one."""
    last_commit = time.monotonic()
    first_pending: int | None = None
    writing_from: deque[int] = deque()  # the first lines of batches flushed but not settled
    last_line = 0
    first_line: int | None = None
    since_commit = 0

    def settled(room: int = 0) -> None:
        # settle the oldest batches until at most ``room`` are still writing
        while len(writing_from) > room:
            if settle is not None:
                settle()
            writing_from.popleft()

    # with batches written side by side, the first is half the size: the writers then
    # work half a batch apart, one storing its batch while the other waits for its next
    # (in step, both waited at once; a million receipts on PostgreSQL 6.9-7.8 s -> 5.9-6.9 s)
    limit = max(max_pending // 2, 1) if settle is not None and in_flight > 1 else max_pending

    def commit() -> None:
        nonlocal last_commit, first_pending, since_commit, limit
        limit = max_pending
        if pending():
            settled(in_flight - 1 if settle is not None else 0)
            flush()
            if settle is not None and first_pending is not None:
                writing_from.append(first_pending)
        first_pending = None
        since_commit = 0
        last_commit = time.monotonic()

    def one(item: Scan | Unreadable) -> None:
        nonlocal last_line, first_line, first_pending, since_commit
        last_line = item.line
        if first_line is None:
            first_line = item.line
        if isinstance(item, Unreadable):
            refuse(Problem(source, item.line, item.value, item.reason))
            return
        if not item.text or item.text.isspace():
            return
        if first_pending is None:
            first_pending = item.line
        take(item)
        since_commit += 1
        if since_commit >= limit or time.monotonic() - last_commit >= commit_seconds:
            commit()

    def block(item: ScanBlock) -> None:
        nonlocal last_line, first_line, first_pending, since_commit
        texts, start = item.texts, 0
        while start < len(texts):
            part = texts[start : start + max(limit - since_commit, 1)]
            first = item.first + start
            start += len(part)
            # str.strip of every line at C speed: a blank one is skipped line by line
            if take_block is None or not all(map(str.strip, part)):
                for number, text in enumerate(part, start=first):
                    one(Scan(number, text))
                continue
            if first_line is None:
                first_line = first
            last_line = first + len(part) - 1
            if first_pending is None:
                first_pending = first
            take_block(first, part)
            since_commit += len(part)
            if since_commit >= limit or time.monotonic() - last_commit >= commit_seconds:
                commit()

    try:
        try:
            for item in items:
                if item is None:
                    commit()
                elif isinstance(item, ScanBlock):
                    block(item)
                else:
                    one(item)
        except KeyboardInterrupt:
            commit()
            settled()
            return StreamOutcome(None, None, True)
        commit()
        settled()
    except StoreLost as fault:  # the scans committed before went with the lost store
        return StreamOutcome(str(fault), first_line if first_line is not None else 1, False, lost=True)
    except StoreFault as fault:
        if writing_from:  # the oldest batch written meanwhile met it
            return StreamOutcome(str(fault), writing_from[0], False)
        return StreamOutcome(str(fault), first_pending if first_pending is not None else last_line + 1, False)
    return StreamOutcome(None, None, False)
