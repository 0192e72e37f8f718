"""Design SPEC strings (fixed: docs/formats.md) parsed into a small value class.

``individual``, ``dorfman:K``, ``hier:K1-K2`` (K1, then subpools of K2, the last one
holding any remainder, then individuals), ``array:R`` (R×R rows and columns, no master pool), ``array-master:R``.
``std:Q-K-G`` is the non-adaptive shifted transversal design of compression power G
(Thierry-Mieg 2006): blocks of Q^(G+1) people (Q prime), pools of Q^G, each person in K
pools (1 ≤ K ≤ Q), any two sharing at most G, so d-disjunct for d = (K - 1) // G; COMP's
candidates confirmed alone. ``std:Q-K`` is G = 1 (blocks of Q²).
"""

from __future__ import annotations

import re

import attrs

from poolab.errors import PoolabError
from poolab.i18n import _

FAMILIES = ("individual", "dorfman", "hier", "array", "array-master", "std")


class BadSpec(PoolabError):
    """A design SPEC that cannot be parsed or is not a valid design."""


MAX_PLANNED_POOL = 1000  # the planner's; a campaign's tubes hold at most campaigns.MAX_POOL_SIZE
"""The largest pool (or array side) a SPEC may name, and the optimiser, ``plan curve`` and
``plan advise`` search up to (hier under dilution stops earlier: ``exact_dilution.HIER_MAX``)."""
MAX_STD_BLOCK = 2**40
"""Largest block Q^(G+1) of a shifted transversal design (offsets stay exact in int64)."""


@attrs.frozen(slots=True)
class DesignSpec:
    """A parsed design SPEC. ``sizes`` holds K (dorfman), (K1, K2) (hier), R (array) or
    (Q, K, G) (std; G = 1 for ``std:Q-K``)."""

    family: str
    sizes: tuple[int, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.family == "std" and len(self.sizes) == 2:
            object.__setattr__(self, "sizes", (*self.sizes, 1))

    def __str__(self) -> str:
        if self.family == "individual":
            return "individual"
        if self.family == "hier":
            return f"hier:{self.sizes[0]}-{self.sizes[1]}"
        if self.family == "std":
            q, k, g = self.sizes
            return f"std:{q}-{k}" + (f"-{g}" if g != 1 else "")
        return f"{self.family}:{self.sizes[0]}"


def is_prime(q: int) -> bool:
    """True for a prime ``q``."""
    return q >= 2 and all(q % d for d in range(2, int(q**0.5) + 1))


def check_std(q: int, k: int, g: int) -> None:
    """Raise ``BadSpec`` unless (Q, K, G) is a shifted transversal design poolab lays out."""
    if not is_prime(q):
        raise BadSpec(_("std:Q-K-G needs a prime Q (value {value})").format(value=q))
    if not 1 <= k <= q:
        raise BadSpec(_("std:Q-K-G needs 1 <= K <= Q (K = {k}, Q = {q})").format(k=k, q=q))
    if g < 1:
        raise BadSpec(_("std:Q-K-G needs a compression power G >= 1 (value {value})").format(value=g))
    if q ** (g + 1) > MAX_STD_BLOCK:
        raise BadSpec(
            _("std:{q}-{k}-{g}: blocks of Q^(G+1) = {q}^{power} people are too large (at most 2^40)").format(
                q=q, k=k, g=g, power=g + 1
            )
        )


_SPEC = re.compile(r"^(individual|dorfman|hier|array-master|array|std)(?::(\d+)(?:-(\d+))?(?:-(\d+))?)?$")


def parse_spec(text: str) -> DesignSpec:
    """Parse a SPEC string; raise ``BadSpec`` naming the value and the accepted forms."""
    raw = text.strip().lower()
    m = _SPEC.match(raw)
    forms = "individual, dorfman:K, hier:K1-K2, array:R, array-master:R, std:Q-K, std:Q-K-G"
    if not m:
        raise BadSpec(_("design {design} is not a SPEC; use one of: {forms}").format(design=repr(text), forms=forms))
    family, a, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
    if c is not None and family != "std":
        raise BadSpec(_("design {design}: only std takes three sizes (std:Q-K-G)").format(design=repr(text)))
    if family == "individual":
        if a is not None:
            raise BadSpec(_("design {design}: 'individual' takes no size").format(design=repr(text)))
        return DesignSpec("individual", ())
    if a is None:
        raise BadSpec(
            _("design {design}: {family} needs a size ({forms})").format(design=repr(text), family=family, forms=forms)
        )
    if family == "hier":
        if b is None:
            raise BadSpec(_("design {design}: hier needs K1-K2, e.g. hier:20-5").format(design=repr(text)))
        k1, k2 = int(a), int(b)
        if not (k1 > k2 >= 2):
            raise BadSpec(_("design {design}: hier:K1-K2 needs K1 > K2 >= 2").format(design=repr(text)))
        if k1 > MAX_PLANNED_POOL:
            raise BadSpec(
                _("design {design}: pools of at most {most}").format(design=repr(text), most=MAX_PLANNED_POOL)
            )
        return DesignSpec("hier", (k1, k2))
    if family == "std":
        if b is None:
            raise BadSpec(
                _("design {design}: std needs Q-K or Q-K-G, e.g. std:13-3 or std:7-4-3").format(design=repr(text))
            )
        q, k, g = int(a), int(b), int(c) if c is not None else 1
        try:
            check_std(q, k, g)
        except BadSpec as exc:
            raise BadSpec(_("design {design}: {problem}").format(design=repr(text), problem=exc)) from None
        return DesignSpec("std", (q, k, g))
    if b is not None:
        raise BadSpec(_("design {design}: {family} takes one size").format(design=repr(text), family=family))
    k = int(a)
    if not 2 <= k <= MAX_PLANNED_POOL:
        raise BadSpec(
            _("design {design}: the size must be from 2 to {most}").format(design=repr(text), most=MAX_PLANNED_POOL)
        )
    return DesignSpec(family, (k,))
