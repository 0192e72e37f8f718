"""The words a person reads for the names the store and the files use: a tube's step, a
call, a kind of tube. The names themselves (``resulted``, ``positive``, ``pool``) stay as
they are in CSV, JSON and the store (machines read them); only what is shown is
translated, here, once for the reports and the command post (a call's word is the shared
vocabulary's, ``poolab.calls.call_word``, re-exported here).

Each word is a whole literal ``_()`` so that the catalogue finds it; a name without a
word of its own is shown as it is.
"""

from __future__ import annotations

from poolab.calls import call_word
from poolab.i18n import _


def step_word(step: str) -> str:
    """A tube's furthest step (``poolab.store.progress.STEPS``) as a person reads it."""
    words = {
        "planned": _("planned"),
        "collected": _("collected"),
        "received": _("received"),
        "plated": _("plated"),
        "resulted": _("resulted"),
    }
    return words.get(step, step)


def pool_call_label(call: str) -> str:
    """The tile under the count of pool tubes with ``call``."""
    words = {
        "positive": _("positive pools"),
        "negative": _("negative pools"),
        "inconclusive": _("inconclusive pools"),
        "invalid": _("invalid pools"),
    }
    return words.get(call, call)


def retest_call_label(call: str) -> str:
    """The tile under the count of retest tubes with ``call``."""
    words = {
        "positive": _("positive retests"),
        "negative": _("negative retests"),
        "inconclusive": _("inconclusive retests"),
        "invalid": _("invalid retests"),
    }
    return words.get(call, call)


def kind_word(kind: str) -> str:
    """A kind of tube (``pool``, ``individual``) as a person reads it."""
    words = {"pool": _("pool tube"), "individual": _("retest tube")}
    return words.get(kind, kind)


__all__ = ["call_word", "kind_word", "pool_call_label", "retest_call_label", "step_word"]
