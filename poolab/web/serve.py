"""``poolab serve``: the command post's application behind uvicorn.

Nothing here imports the web stack before ``require_web`` has checked it is there (the
command then fails with one line naming the extra). The socket is bound here, before
uvicorn starts, so a port in use or an address this
machine does not have is one line of error; port 0 takes a free port (the URL given to
``on_ready`` says which). Connections are bounded (``poolab.web.connections``): idle
sockets by the thousand cannot starve the page or flood the log.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from poolab.errors import PoolabError
from poolab.reports.timing import LateRule
from poolab.store.engine import Store
from poolab.web.extra import require_web

MIN_TOKEN = 12
TOKEN_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server on this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_names(host: str, port: int) -> set[str]:
    """Host header values a loopback server answers to (anything else is a DNS-rebinding
    page in someone's browser trying to read it)."""
    names = {host, "localhost", "127.0.0.1", "[::1]"}
    return names | {f"{n}:{port}" for n in names}


def check_binding(host: str, token: str | None) -> None:
    """Loopback needs nothing; any other address needs a token that is hard to guess."""
    if token is not None and len(token) < MIN_TOKEN:
        raise PoolabError(
            f"the token is too short ({len(token)} characters, at least {MIN_TOKEN}); make one with: {TOKEN_HINT}"
        )
    if not is_loopback(host) and token is None:
        raise PoolabError(
            f"serving on {host} lets other machines read the store: give a token too (--token or POOLAB_TOKEN; "
            f"make one with: {TOKEN_HINT}), or serve on 127.0.0.1"
        )


def bind(host: str, port: int, backlog: int = 128) -> socket.socket:
    """A listening socket on host:port, or one line saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PoolabError(f"cannot serve on {host}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise PoolabError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def serve(
    store: Store,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    late: LateRule | None = None,
    refresh: int = 10,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the command post until interrupted (Ctrl-C, SIGTERM). ``on_ready`` gets the
    address once the server listens."""
    require_web()
    check_binding(host, token)
    import uvicorn

    from poolab.web.app import Settings, create_app
    from poolab.web.connections import (
        BACKLOG,
        KEEP_ALIVE,
        capacity,
        guarded_protocol,
        install_log_filter,
        raise_file_limit,
    )

    limit = capacity(raise_file_limit())  # idle sockets must not use up the open files
    sock = bind(host, port, BACKLOG)
    actual = sock.getsockname()[1]
    hosts = frozenset(loopback_names(host, actual)) if is_loopback(host) else None
    settings = Settings(late=late or LateRule(), refresh=refresh, token=token, hosts=hosts)
    config = uvicorn.Config(
        create_app(store, settings),
        log_level="warning",
        access_log=False,
        server_header=False,
        lifespan="off",
        http=guarded_protocol(limit),
        timeout_keep_alive=KEEP_ALIVE,
        backlog=BACKLOG,
    )
    install_log_filter()  # after uvicorn has configured its loggers
    shown = f"[{host}]" if ":" in host else host

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started and on_ready is not None:
                on_ready(f"http://{shown}:{actual}/")

    try:
        Server(config).run(sockets=[sock])
    finally:
        sock.close()
