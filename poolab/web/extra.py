"""The optional ``web`` extra: Starlette, Jinja2 and uvicorn."""

from __future__ import annotations

from poolab.errors import PoolabError

INSTALL_HINT = "pip install 'poolab[web]'"


class WebExtraMissing(PoolabError):
    """Starlette, Jinja2 or uvicorn is not installed."""


def require_web() -> None:
    """Raise ``WebExtraMissing`` (one line naming the extra) unless the web stack imports."""
    try:
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise WebExtraMissing(
            f"poolab serve needs the web extra: {INSTALL_HINT} ({exc.name} is not installed)"
        ) from None
