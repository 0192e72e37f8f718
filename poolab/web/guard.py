"""Who may read, and what every response carries: the access token (when one is set)
checked on every request, the host names a loopback server answers to, and the
security headers.

A token is sent as ``Authorization: Bearer TOKEN`` (scripts), or as the password of
HTTP Basic authentication with any user name (a browser asks for it once). It is
compared in constant time and never appears in a URL or a log line.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REALM = 'Basic realm="poolab command post", charset="UTF-8"'

SECURITY_HEADERS = {
    # no inline script or style anywhere: everything comes from /static
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "cache-control": "no-store",
}


def presented_token(headers: Headers) -> str | None:
    """The token a request carries: Bearer, or the password of Basic authentication."""
    value = headers.get("authorization", "")
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2]
    return None


class Guard:
    """ASGI middleware: refuses what may not read, adds the headers to what may."""

    def __init__(self, app: ASGIApp, *, token: str | None, hosts: set[str] | None) -> None:
        self.app = app
        self.token = token.encode("utf-8") if token else None
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self.hosts is not None and headers.get("host", "") not in self.hosts:
            await _plain(send, 421, "this server answers to its loopback address only\n")
            return
        if self.token is not None:
            given = presented_token(headers)
            if given is None or not hmac.compare_digest(given.encode("utf-8"), self.token):
                await _plain(send, 401, "a token is needed: Authorization: Bearer TOKEN\n", challenge=True)
                return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                for key, value in SECURITY_HEADERS.items():
                    if key.encode() not in present:
                        raw.append((key.encode(), value.encode()))
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, with_headers)


async def _plain(send: Send, status: int, text: str, *, challenge: bool = False) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    if challenge:
        headers.append((b"www-authenticate", REALM.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode("utf-8")})
