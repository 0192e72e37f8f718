"""A round that follows another (`campaign new --after PREV`): who is left out, who is
swabbed alone, and who is pooled how.

- A resident confirmed positive in PREV or an earlier round of the chain is isolated
  (not sampled), for ``isolation_rounds`` rounds after the one that confirmed them
  (default: for the rest of the chain).
- Their close contacts (``contacts_of``: the positive's household, or everyone living in
  the positive's room together with those people's households) are swabbed alone
  (``single``, 单采单检), left out (``exclude``: quarantined elsewhere) or pooled as
  everyone else (``pool``) for as long as the positive is isolated.
- Residents of PREV's positive or inconclusive pools with no individual result yet
  (pending) are swabbed alone.
- Everyone else is pooled: home-visit residents among themselves, residents of risk
  buildings in smaller pools, the rest at the campaign's pool size.

Precedence, when one resident is several of these: isolated, then contact, then pending.
Pure arrays: the store layer reads the chain, this decides, ``campaigns`` lays out tubes.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np
import numpy.typing as npt

from poolab.errors import PoolabError
from poolab.i18n import _

CONTACT_MODES = ("single", "exclude", "pool")
CONTACTS_OF = ("household", "room")

# what a round does with a resident (RoundRoles.role)
SAMPLED = 0
ISOLATED = 1
CONTACT = 2
PENDING = 3
REASONS = ("isolated", "contact_single", "contact_excluded", "contact_pooled", "pending")
"""How ``round_carry`` names what a round did with a resident it took over (``carry_reasons``)."""

# how a sampled resident is pooled: a size class, plus HOME for home visits
ORDINARY, RISK, SINGLE = 0, 1, 2
HOME = 3
NOT_SAMPLED = -1


def _choice(options: tuple[str, ...], what: str):  # type: ignore[no-untyped-def]
    def check(_instance: object, _attribute: object, value: str) -> None:
        if value not in options:
            raise PoolabError(
                _("{option} takes {choices} (value {value})").format(
                    option=what, choices=", ".join(options), value=repr(value)
                )
            )

    return check


def _rounds(_instance: object, _attribute: object, value: int | None) -> None:
    if value is not None and value < 1:
        raise PoolabError(_("--isolation-rounds must be at least 1 (value {value})").format(value=value))


@attrs.frozen(slots=True)
class RoundRules:
    """The choices of a round that follows another (see the module text)."""

    contacts: str = attrs.field(default="single", validator=_choice(CONTACT_MODES, "--contacts"))
    contacts_of: str = attrs.field(default="household", validator=_choice(CONTACTS_OF, "--contacts-of"))
    isolation_rounds: int | None = attrs.field(default=None, validator=_rounds)
    """Rounds a confirmed positive stays out after the round that confirmed them; None: every later round."""


@attrs.frozen(slots=True, eq=False)
class RoundRoles:
    """Each resident's role in the new round, and the round behind it."""

    role: npt.NDArray[np.int8]
    """SAMPLED, ISOLATED, CONTACT or PENDING per resident."""
    since: npt.NDArray[np.int64]
    """Chain index (0 = oldest) of the round that confirmed the positive behind an
    isolated resident or a contact; the previous round for a pending one; -1 otherwise."""

    def count(self, role: int) -> int:
        return int(np.count_nonzero(self.role == role))


def isolated_since(confirmed: npt.NDArray[np.int64], rounds: int, rules: RoundRules) -> npt.NDArray[np.int64]:
    """The chain index of each resident's latest confirming round while they are still
    isolated in round ``rounds`` (the new round's index: the chain has ``rounds`` rounds
    before it); -1 for everyone else. ``confirmed``: latest confirming round or -1."""
    out = confirmed.copy()
    if rules.isolation_rounds is not None:
        out[rounds - confirmed > rules.isolation_rounds] = -1
    return out


def round_roles(
    address: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]],
    household: npt.NDArray[np.int64],
    *,
    isolated: npt.NDArray[np.int64],
    pending: npt.NDArray[np.bool_],
    previous: int,
    rules: RoundRules,
) -> RoundRoles:
    """Roles of residents given as codes: ``address`` (compound, building, unit, room) and
    ``household`` (unique across compounds, as ``AddressCodes.codes`` gives them);
    ``isolated`` from ``isolated_since``, ``pending`` a mask, ``previous`` the chain
    index of PREV."""
    n = household.shape[0]
    role = np.zeros(n, np.int8)
    since = np.full(n, -1, np.int64)
    out = isolated >= 0
    contact_since = np.full(n, -1, np.int64)
    if out.any():
        contact_since = _spread(household, isolated, out)
        if rules.contacts_of == "room":
            at_room = _spread(_combined(address), isolated, out)
            contact_since = np.maximum(contact_since, _spread(household, at_room, at_room >= 0))
    contact = (contact_since >= 0) & ~out
    pend = pending & ~out & ~contact
    role[pend] = PENDING
    since[pend] = previous
    role[contact] = CONTACT
    since[contact] = contact_since[contact]
    role[out] = ISOLATED
    since[out] = isolated[out]
    return RoundRoles(role=role, since=since)


def _spread(
    key: npt.NDArray[np.int64], value: npt.NDArray[np.int64], where: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Per resident: the largest ``value`` among the residents ``where`` that share its
    ``key``; -1 when there are none."""
    if not key.size:
        return np.full(0, -1, np.int64)
    best = np.full(int(key.max()) + 1, -1, np.int64)
    np.maximum.at(best, key[where], value[where])
    return best[key]


def _combined(codes: Sequence[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    """One compact code per distinct combination of ``codes`` (an address)."""
    stacked = np.stack([np.asarray(c, np.int64) for c in codes])
    if not stacked.shape[1]:
        return np.zeros(0, np.int64)
    _, inverse = np.unique(stacked, axis=1, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64)


def pooling_groups(
    roles: RoundRoles, *, contacts: str, home: npt.NDArray[np.bool_], risk: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """The group of each resident (``pool_sizes`` order): NOT_SAMPLED, or a size class
    (ORDINARY, RISK, SINGLE) plus HOME for a home visit."""
    role = roles.role
    group = np.where(risk, RISK, ORDINARY).astype(np.int64)
    alone = role == PENDING
    if contacts == "single":
        alone |= role == CONTACT
    group[alone] = SINGLE
    group[home] += HOME
    group[role == ISOLATED] = NOT_SAMPLED
    if contacts == "exclude":
        group[role == CONTACT] = NOT_SAMPLED
    return group


def carry_reasons(roles: RoundRoles, group: npt.NDArray[np.int64]) -> list[str]:
    """The ``REASONS`` word of each resident a round took over (role not SAMPLED), in
    order: what the round did with them."""
    out: list[str] = []
    for role, g in zip(roles.role.tolist(), group.tolist(), strict=True):
        if role == ISOLATED:
            out.append("isolated")
        elif role == PENDING:
            out.append("pending")
        elif role == CONTACT:
            if g < 0:
                out.append("contact_excluded")
            elif g % HOME == SINGLE:
                out.append("contact_single")
            else:
                out.append("contact_pooled")
    return out


def pool_sizes(pool_size: int, risk_pool_size: int) -> Sequence[int]:
    """The pool size of each group: ordinary, risk and single tubes, then the same at home."""
    return (pool_size, risk_pool_size, 1) * 2
