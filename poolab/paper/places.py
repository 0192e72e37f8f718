"""How addresses read on paper: ``1`` is 1号楼 and 1单元, ``A座`` stays A座."""

from __future__ import annotations


def building_name(building: str) -> str:
    """A building as people say it: a bare number gets 号楼."""
    return f"{building}号楼" if building.isdigit() else building


def unit_name(unit: str) -> str:
    """A unit (entrance) as people say it: a bare number gets 单元."""
    return f"{unit}单元" if unit.isdigit() else unit


def address(building: str, unit: str, room: str) -> str:
    """Building, unit and room in one short phrase: 2号楼 2单元 1603."""
    return " ".join(p for p in (building_name(building), unit_name(unit), room) if p)
