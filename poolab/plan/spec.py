"""Design SPEC strings (fixed by DESIGN.md) parsed into a small value class.

``individual``, ``dorfman:K``, ``hier:K1-K2`` (K1, then subpools of K2, the last one
holding any remainder, then individuals), ``array:R`` (R×R rows and columns, no master pool), ``array-master:R``.
``std:Q-K`` is the non-adaptive shifted transversal design (Thierry-Mieg 2006): blocks
of Q² people (Q prime), each person in K pools (1 ≤ K ≤ Q), COMP's candidates
confirmed alone.
"""

from __future__ import annotations

import re

import attrs

from poolab.errors import PoolabError

FAMILIES = ("individual", "dorfman", "hier", "array", "array-master", "std")


class BadSpec(PoolabError):
    """A design SPEC that cannot be parsed or is not a valid design."""


@attrs.frozen(slots=True)
class DesignSpec:
    """A parsed design SPEC. ``sizes`` holds K (dorfman), (K1, K2) (hier) or R (array)."""

    family: str
    sizes: tuple[int, ...] = ()

    def __str__(self) -> str:
        if self.family == "individual":
            return "individual"
        if self.family in ("hier", "std"):
            return f"{self.family}:{self.sizes[0]}-{self.sizes[1]}"
        return f"{self.family}:{self.sizes[0]}"


_SPEC = re.compile(r"^(individual|dorfman|hier|array-master|array|std)(?::(\d+)(?:-(\d+))?)?$")


def parse_spec(text: str) -> DesignSpec:
    """Parse a SPEC string; raise ``BadSpec`` naming the value and the accepted forms."""
    raw = text.strip().lower()
    m = _SPEC.match(raw)
    forms = "individual, dorfman:K, hier:K1-K2, array:R, array-master:R, std:Q-K"
    if not m:
        raise BadSpec(f"design {text!r} is not a SPEC; use one of: {forms}")
    family, a, b = m.group(1), m.group(2), m.group(3)
    if family == "individual":
        if a is not None:
            raise BadSpec(f"design {text!r}: 'individual' takes no size")
        return DesignSpec("individual", ())
    if a is None:
        raise BadSpec(f"design {text!r}: {family} needs a size ({forms})")
    if family == "hier":
        if b is None:
            raise BadSpec(f"design {text!r}: hier needs K1-K2, e.g. hier:20-5")
        k1, k2 = int(a), int(b)
        if not (k1 > k2 >= 2):
            raise BadSpec(f"design {text!r}: hier:K1-K2 needs K1 > K2 >= 2")
        return DesignSpec("hier", (k1, k2))
    if family == "std":
        if b is None:
            raise BadSpec(f"design {text!r}: std needs Q-K, e.g. std:13-3")
        q, k = int(a), int(b)
        if q < 2 or any(q % d == 0 for d in range(2, int(q**0.5) + 1)):
            raise BadSpec(f"design {text!r}: std:Q-K needs a prime Q")
        if not 1 <= k <= q:
            raise BadSpec(f"design {text!r}: std:Q-K needs 1 <= K <= Q")
        return DesignSpec("std", (q, k))
    if b is not None:
        raise BadSpec(f"design {text!r}: {family} takes one size")
    k = int(a)
    if k < 2:
        raise BadSpec(f"design {text!r}: the size must be at least 2")
    return DesignSpec(family, (k,))
