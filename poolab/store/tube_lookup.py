"""A campaign's tubes looked up a block of codes at a time, as results checks need them:
``FewTubes`` for a plate's or a small file's few codes (plain lists: a command that checks
three results starts without numpy), ``TubeArrays`` (``tube_arrays.py``) for a city's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from sqlalchemy import Connection

from poolab.store.tubes import campaign_tube_index


class Gathered(NamedTuple):
    """A block of codes looked up, one entry per code: its position in the lookup (-1
    when it is no tube of the campaign) and that tube's facts (meaningless for -1)."""

    pos: list[int]
    received: list[bool]
    individual: list[bool]
    result_id: list[int]  # the current result, -1 when none
    call: list[str | None]
    ct1: list[float | None]
    ct2: list[float | None]


class TubeLookup(Protocol):
    """What checking a results file asks of a campaign's tubes (positions run from 0 to
    ``len() - 1``)."""

    def __len__(self) -> int: ...

    def gather(self, codes: Sequence[str]) -> Gathered: ...

    def tube_ids(self, positions: Sequence[int]) -> list[int]: ...

    def result_ids(self, positions: Sequence[int]) -> list[int]: ...

    def tube_order(self, positions: Sequence[int]) -> Sequence[int]:
        """The indexes of ``positions`` sorted by tube id."""
        ...


class FewTubes:
    """Some tubes of a campaign, in plain lists."""

    def __init__(self, conn: Connection, *, campaign_id: int, barcodes: Sequence[str]) -> None:
        index = campaign_tube_index(conn, campaign_id=campaign_id, barcodes=barcodes)
        self._at = {code: i for i, code in enumerate(index.id_of)}
        self._id = list(index.id_of.values())
        self._received = [t in index.received for t in self._id]
        self._individual = [t in index.individual for t in self._id]
        self._current = [index.current.get(t) for t in self._id]

    def __len__(self) -> int:
        return len(self._id)

    def gather(self, codes: Sequence[str]) -> Gathered:
        pos = [self._at.get(c, -1) for c in codes]
        current = [self._current[p] if p >= 0 else None for p in pos]
        return Gathered(
            pos,
            [p >= 0 and self._received[p] for p in pos],
            [p >= 0 and self._individual[p] for p in pos],
            [-1 if c is None else c[0] for c in current],
            [None if c is None else c[1] for c in current],
            [None if c is None else c[2] for c in current],
            [None if c is None else c[3] for c in current],
        )

    def tube_ids(self, positions: Sequence[int]) -> list[int]:
        return [self._id[p] for p in positions]

    def result_ids(self, positions: Sequence[int]) -> list[int]:
        return [-1 if (c := self._current[p]) is None else c[0] for p in positions]

    def tube_order(self, positions: Sequence[int]) -> Sequence[int]:
        return sorted(range(len(positions)), key=lambda i: self._id[positions[i]])
