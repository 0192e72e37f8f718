"""Connections the command post keeps open, bounded, so that idle sockets cannot starve it.

A connection is opened before any token is checked, so anyone who can reach the port can
open thousands and send nothing. Unbounded, 1,100 of them used up the process's file
descriptors: the page timed out and every refused ``accept`` wrote a traceback. Here:

- the soft limit of open files is raised to the hard limit when the server starts;
- at most ``capacity`` connections are kept (what the file limit allows, less a reserve
  for the store and the logs); a new one beyond that closes the oldest *idle*
  connection (no request in progress), so a real browser always gets in;
- a connection must send a whole request within ``header_timeout`` seconds of opening
  (or of its previous response); otherwise it is closed (a slow sender cannot hold one);
- "out of open files" is logged once, not once per connection.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
"""Seconds a connection has to send a whole request (a browser sends it at once)."""
KEEP_ALIVE = 5
"""Seconds an idle keep-alive connection stays open after its response."""
MAX_CONNECTIONS = 1000
"""Connections kept at most, however many files the process may open."""
RESERVED_FILES = 64
"""File descriptors kept for the store, its journal, the logs and the listening socket."""
BACKLOG = 1024
"""Connections the kernel queues before the server accepts them."""
_OUT_OF_FILES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def raise_file_limit() -> int:
    """Raise the soft limit of open files to the hard limit; returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass  # a container may forbid it: the capacity follows the limit we have
    return soft


def capacity(file_limit: int) -> int:
    """Connections kept at most under ``file_limit`` open files."""
    if file_limit == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(8, min(MAX_CONNECTIONS, file_limit - RESERVED_FILES))


class OutOfFilesOnce(logging.Filter):
    """Lets through the first "out of open files" record and drops the rest (asyncio logs
    one per refused ``accept``, with a traceback)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        out_of_files = (isinstance(exc, OSError) and exc.errno in _OUT_OF_FILES) or "out of system resource" in str(
            record.msg
        )
        if not out_of_files:
            return True
        self.seen += 1
        if self.seen > 1:
            return False
        record.msg = (
            "poolab serve: out of open files (too many connections); idle ones are closed, and this is said once"
        )
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True


def install_log_filter() -> OutOfFilesOnce:
    """The filter, on every logger that reports a refused ``accept``."""
    once = OutOfFilesOnce()
    for name in ("asyncio", "uvicorn.error", "uvicorn"):
        logging.getLogger(name).addFilter(once)
    return once


def guarded_protocol(limit: int, header_timeout: float = HEADER_TIMEOUT) -> type[H11Protocol]:
    """uvicorn's HTTP/1.1 protocol with the bounds above (``limit``: connections kept)."""

    class Guarded(H11Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._opened = 0.0
            self._deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._opened = self.loop.time()
            self._arm()
            if len(self.connections) > limit:
                self._make_room()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request on this connection gets its own deadline

        def idle(self) -> bool:
            """No request in progress: nothing is lost by closing it."""
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
            self._deadline = self.loop.call_later(header_timeout, self._expire, self.cycle)

        def _expire(self, cycle_then: object) -> None:
            self._deadline = None
            if self.cycle is cycle_then and self.idle() and not self.transport.is_closing():
                self.transport.close()  # no whole request in time: a slow or idle sender

        def _make_room(self) -> None:
            idle = [c for c in self.connections if isinstance(c, Guarded) and c.idle() and c is not self]
            excess = len(self.connections) - limit
            for c in sorted(idle, key=lambda c: c._opened)[:excess]:
                c.connections.discard(c)  # counted out now; connection_lost follows
                c.transport.close()
            if len(self.connections) > limit:  # every other one is busy: refuse this one
                self.connections.discard(self)
                self.transport.close()

    return Guarded
