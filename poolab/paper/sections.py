"""The sheet's sections from the store's rows: one per building in walk order, each tube's
residents of that building as a block; a tube shared by two buildings is in both, with
its barcode in the first."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from poolab.field.pools import walk_order
from poolab.i18n import _
from poolab.masking import mask_name
from poolab.paper.manifest_pdf import Person, Section, TubeBlock
from poolab.paper.places import building_name


def manifest_sections(
    members: Sequence[tuple[Any, ...]],
    unbound: Sequence[tuple[str, ...]],
    *,
    pool_size: int,
    unmasked: bool = False,
) -> list[Section]:
    """Sections (one per building, in walk order) from the store's manifest rows
    (``MANIFEST_MEMBER_COLUMNS``, walk order) and a field-binding campaign's residents
    not yet in a tube (grouped ``pool_size`` to a block, for the team to bind)."""

    def person(slot: str, rid: str, name: str, unit: str, room: str, hh: str) -> Person:
        return Person(slot, str(unit), str(room), str(name) if unmasked else mask_name(str(name)), str(rid), str(hh))

    # (compound, building) -> [(code, [people])], tubes in walk order within a building
    buildings: dict[tuple[str, str], list[tuple[str, list[Person]]]] = {}
    for code, _pos, slot, rid, name, compound, building, unit, room, hh in members:
        blocks = buildings.setdefault((str(compound), str(building)), [])
        if not blocks or blocks[-1][0] != code:
            blocks.append((str(code), []))
        blocks[-1][1].append(person(str(slot), rid, name, unit, room, hh))
    # residents not yet in a tube: after the bound ones of their building
    for key, group in _chunks(unbound, pool_size):
        buildings.setdefault(key, []).append(
            ("", [person(str(i), *_person_fields(r)) for i, r in enumerate(group, start=1)])
        )
    # A tube whose residents live in two buildings: its barcode in the first of them
    # (walk order), a note in both.
    keys = _walk_sorted(list(buildings))
    homes: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        for code, _people in buildings[key]:
            if code:
                homes.setdefault(code, []).append(key)
    sections = []
    for key in keys:
        blocks_out = []
        for code, people in buildings[key]:
            where = homes.get(code, [key])
            others = [building_name(k[1]) for k in where if k != key]
            first = where[0] == key
            if not others:
                note = ""
            elif first:
                note = _("the tube goes on to {buildings}").format(buildings=", ".join(others))
            else:
                note = _("the tube comes from {building} (barcode there)").format(building=building_name(where[0][1]))
            blocks_out.append(TubeBlock(code, tuple(people), barcode=first, note=note))
        sections.append(Section(key[0], building_name(key[1]), tuple(blocks_out)))
    return sections


def _walk_sorted(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(compound, building) keys in walk order (natural order: 2 before 10)."""
    empty = [""] * len(keys)
    order = walk_order([k[0] for k in keys], [k[1] for k in keys], empty, empty, [str(i) for i in range(len(keys))])
    return [keys[int(i)] for i in order]


def _person_fields(r: tuple[str, ...]) -> tuple[str, str, str, str, str]:
    rid, name, _compound, _building, unit, room, hh = r
    return rid, name, unit, room, hh


def _chunks(rows: Sequence[tuple[str, ...]], size: int) -> Iterator[tuple[tuple[str, str], list[tuple[str, ...]]]]:
    """Runs of up to ``size`` consecutive rows of one (compound, building)."""
    group: list[tuple[str, ...]] = []
    key: tuple[str, str] | None = None
    for r in rows:
        k = (r[2], r[3])
        if group and (k != key or len(group) >= size):
            assert key is not None
            yield key, group
            group = []
        key = k
        group.append(r)
    if group and key is not None:
        yield key, group
