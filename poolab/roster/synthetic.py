"""A synthetic district roster shaped like a real one (default: the seed district of docs/numbers.md).

Compounds of varied size, multi-storey buildings with units, floors and rooms, households
mostly of one or two people with a few dormitories, Chinese names by surname frequency,
valid ID numbers of district 230102 (Harbin, Daoli). Residents come out in walk order
(compound, building, unit, floor, room), numbered R0000001, ... and H000001, ...
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator
from typing import Any

import attrs
import numpy as np

from poolab.errors import PoolabError
from poolab.files.csvio import Output, write_csv
from poolab.i18n import _
from poolab.memory import gib, shortfall
from poolab.roster.file import (
    HOME_VISIT_COLUMN,
    ROSTER_COLUMNS,
    WRITE_ENCODINGS,
    Roster,
    roster_from_columns,
    write_roster_csv,
)
from poolab.roster.idnumber import CHECK_CHARACTERS, WEIGHTS

REGION = "230102"
# Ages are measured from a fixed day so that a seed always gives the same district.
REFERENCE_DATE = datetime.date(2022, 4, 1)

# Surname shares in per cent (national figures, rounded); the tail shares the rest.
SURNAMES = (
    ("王", 7.1),
    ("李", 7.0),
    ("张", 6.7),
    ("刘", 5.4),
    ("陈", 4.5),
    ("杨", 3.1),
    ("黄", 2.2),
    ("赵", 2.0),
    ("吴", 2.0),
    ("周", 1.9),
    ("徐", 1.5),
    ("孙", 1.5),
    ("马", 1.3),
    ("朱", 1.3),
    ("胡", 1.2),
    ("郭", 1.1),
    ("何", 1.0),
    ("林", 1.0),
    ("高", 1.0),
    ("罗", 0.9),
    ("郑", 0.9),
    ("梁", 0.8),
    ("谢", 0.7),
    ("宋", 0.7),
    ("唐", 0.7),
    ("许", 0.6),
    ("韩", 0.6),
    ("冯", 0.6),
    ("邓", 0.6),
    ("曹", 0.6),
    ("彭", 0.5),
    ("曾", 0.5),
    ("肖", 0.5),
    ("田", 0.5),
    ("董", 0.5),
    ("袁", 0.5),
    ("潘", 0.4),
    ("于", 0.4),
    ("蒋", 0.4),
    ("蔡", 0.4),
    ("余", 0.4),
    ("杜", 0.4),
    ("叶", 0.4),
    ("程", 0.4),
    ("苏", 0.4),
    ("魏", 0.4),
    ("吕", 0.4),
    ("丁", 0.4),
    ("任", 0.3),
    ("沈", 0.3),
    ("姚", 0.3),
    ("卢", 0.3),
    ("姜", 0.3),
    ("崔", 0.3),
    ("钟", 0.3),
    ("谭", 0.3),
    ("陆", 0.3),
    ("汪", 0.3),
    ("范", 0.3),
    ("金", 0.3),
    ("石", 0.3),
    ("廖", 0.3),
    ("贾", 0.3),
    ("夏", 0.3),
    ("韦", 0.3),
    ("付", 0.3),
    ("方", 0.3),
    ("白", 0.2),
    ("邹", 0.2),
    ("孟", 0.2),
    ("熊", 0.2),
    ("秦", 0.2),
    ("邱", 0.2),
    ("江", 0.2),
    ("尹", 0.2),
    ("薛", 0.2),
    ("闫", 0.2),
    ("段", 0.2),
    ("雷", 0.2),
    ("侯", 0.2),
    ("龙", 0.2),
    ("史", 0.2),
    ("陶", 0.2),
    ("黎", 0.2),
    ("贺", 0.2),
    ("顾", 0.2),
    ("毛", 0.2),
    ("郝", 0.2),
    ("龚", 0.2),
    ("邵", 0.2),
    ("万", 0.2),
    ("钱", 0.2),
    ("严", 0.2),
    ("覃", 0.2),
    ("武", 0.2),
    ("戴", 0.2),
    ("莫", 0.2),
    ("孔", 0.2),
    ("欧阳", 0.03),
    ("司马", 0.01),
    ("上官", 0.01),
    ("诸葛", 0.01),
    ("慕容", 0.005),
)
GIVEN_CHARACTERS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国海波宇浩欣怡子涵梓轩晨博"
    "文思雨佳嘉俊婷雪琳丹龙飞斌凯新宁东亮林春燕金凤成云志昊然诺睿泽宏庆福德鑫淑珍玲梅晓彤颖"
)
# A few foreign residents (Harbin has many Russian neighbours); they carry passports, no ID number.
LATIN_NAMES = (
    "Ivan Petrov",
    "Anna Ivanova",
    "Sergei Smirnov",
    "Olga Kuznetsova",
    "Dmitri Popov",
    "Natalia Sokolova",
    "Yuki Tanaka",
    "Kim Minjun",
    "John Smith",
    "Maria Garcia",
)
COMPOUND_PREFIXES = (
    "建设",
    "和平里",
    "幸福",
    "阳光",
    "长青",
    "友谊",
    "胜利",
    "红旗",
    "光明",
    "新华",
    "文化",
    "工人",
    "铁路",
    "电业",
    "锦绣",
    "民主",
    "滨江",
    "龙江",
    "松花",
    "太平",
    "丽水",
    "金色",
    "安居",
    "兴业",
    "通达",
    "宏图",
    "景阳",
    "经纬",
    "安静",
    "工程",
    "新阳",
    "共乐",
    "河润",
    "森林",
    "兆麟",
    "西十道",
    "尚志",
    "东风",
    "北岸",
    "群力",
)
COMPOUND_SUFFIXES = ("小区", "家园", "花园", "新村", "公寓", "苑", "里")
MOBILE_PREFIXES = (
    130,
    131,
    132,
    133,
    134,
    135,
    136,
    137,
    138,
    139,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    173,
    176,
    177,
    178,
    180,
    181,
    182,
    183,
    184,
    185,
    186,
    187,
    188,
    189,
    198,
    199,
)
# Household sizes 1..6 of an ordinary household (census-like: mostly one or two people).
BASE_SIZE_SHARES = np.array([0.50, 0.32, 0.11, 0.045, 0.018, 0.007])
DORMITORY_SHARE = 0.0005  # of households; 11..30 people each
FOREIGN_SHARE = 0.002
NO_PHONE_SHARE = 0.03  # plus every child under 12
BYTES_PER_RESIDENT = 800
"""Peak memory of ``generate_district`` per resident (its columns as Python strings;
measured: 710 MB at 1 million residents)."""
BYTES_PER_RESIDENT_WRITTEN = 170
"""Peak memory of ``roster demo`` (``write_district``) per resident: the draws as numpy
arrays, text a block at a time (measured: 330 MB at 2 million, 1,385 MB at 10 million)."""
NO_ID_SHARE = 0.003  # residents whose ID number the committee does not have


def _size_shares(mean: float) -> np.ndarray:
    """Shares of sizes 1..6: the base shape tilted (p_k ∝ base_k t^k) to the wanted mean."""
    k = np.arange(1, 7)
    lo, hi = 1e-6, 1e6
    for _step in range(100):
        t = np.sqrt(lo * hi)
        p = BASE_SIZE_SHARES * t**k
        if (p @ k) / p.sum() < mean:
            lo = t
        else:
            hi = t
    return p / p.sum()


def household_sizes(residents: int, households: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``households`` sizes summing to exactly ``residents``, in random order."""
    surplus = residents - households
    dorms = min(round(households * DORMITORY_SHARE), surplus // 10 // 20)
    dorm_sizes = rng.integers(11, 31, size=dorms)
    n = households - dorms
    target = residents - int(dorm_sizes.sum())
    cap = max(6, -(-target // n))
    sizes = rng.choice(np.arange(1, 7), size=n, p=_size_shares(min(target / n, 5.99)))
    diff = target - int(sizes.sum())
    while diff != 0:  # nudge random households by one until the total is exact
        eligible = np.flatnonzero(sizes < cap) if diff > 0 else np.flatnonzero(sizes > 1)
        pick = rng.choice(eligible, size=min(abs(diff), eligible.size), replace=False)
        sizes[pick] += 1 if diff > 0 else -1
        diff = target - int(sizes.sum())
    out = np.concatenate([sizes, dorm_sizes]).astype(np.int64)
    rng.shuffle(out)
    return out


def compound_names(count: int, rng: np.random.Generator) -> list[str]:
    """``count`` distinct names like 建设小区, 和平里家园."""
    pairs = [p + s for p in COMPOUND_PREFIXES for s in COMPOUND_SUFFIXES]
    order = rng.permutation(len(pairs))
    names = [pairs[i] for i in order[: min(count, len(pairs))]]
    phase = 2
    while len(names) < count:  # more compounds than pairs: later phases of the same estates
        names += [f"{pairs[i]}{phase}期" for i in order[: count - len(names)]]
        phase += 1
    return names


def _split(total: int, parts: int, rng: np.random.Generator) -> np.ndarray:
    """``total`` split into ``parts`` positive, log-normally varied counts (exact sum)."""
    weights = rng.lognormal(0.0, 0.6, size=parts)
    share = weights / weights.sum() * (total - parts)
    counts = np.floor(share).astype(np.int64)
    rest = total - parts - int(counts.sum())
    counts[np.argsort(share - counts)[::-1][:rest]] += 1
    return counts + 1


def _building_geometry(rng: np.random.Generator) -> tuple[int, int, int]:
    """(units, floors, rooms per floor): six-storey walk-ups or taller single-stair blocks."""
    if rng.random() < 0.6:
        return int(rng.integers(4, 7)), int(rng.integers(6, 8)), 2
    return int(rng.integers(1, 3)), int(rng.integers(11, 31)), int(rng.integers(2, 5))


def _addresses(
    per_compound: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per household in walk order: compound index, building number, unit (0 = none), room."""
    comp, bld, unit, room = [], [], [], []
    for c, count in enumerate(per_compound.tolist()):
        left, b = count, 0
        while left > 0:
            b += 1
            units, floors, per_floor = _building_geometry(rng)
            capacity = units * floors * per_floor
            k = min(left, max(1, round(capacity * rng.uniform(0.7, 0.95))))
            if 0 < left - k < 15 and left <= capacity:
                k = left  # no near-empty building at the end of a compound
            slots = np.sort(rng.choice(capacity, size=k, replace=False))
            u, rest = np.divmod(slots, floors * per_floor)
            floor, r = np.divmod(rest, per_floor)
            comp.append(np.full(k, c))
            bld.append(np.full(k, b))
            unit.append(u + 1 if units > 1 else np.zeros(k, dtype=np.int64))
            room.append((floor + 1) * 100 + r + 1)
            left -= k
    out = [np.concatenate(x).astype(np.int64) for x in (comp, bld, unit, room)]
    return out[0], out[1], out[2], out[3]


def _ages(sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An age per resident: an ageing north-eastern city; people living alone are adults."""
    age = np.arange(100)
    w = np.select([age < 18, age < 30, age < 65, age < 80], [0.8, 1.0, 1.3, 0.9], np.linspace(0.5, 0.02, 100))
    w = w / w.sum()
    n = int(sizes.sum())
    ages = rng.choice(100, size=n, p=w)
    alone = np.repeat(sizes == 1, sizes)
    adult = w[18:] / w[18:].sum()
    ages[alone] = rng.choice(np.arange(18, 100), size=int(alone.sum()), p=adult)
    dorm = np.repeat(sizes > 10, sizes)
    ages[dorm] = rng.integers(18, 56, size=int(dorm.sum()))
    return ages


def _id_draws(ages: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(birthday as datetime64[D], sequence number) of each resident, distinct pairs."""
    n = ages.size
    ref = np.datetime64(REFERENCE_DATE.isoformat(), "D")
    days = ref - (ages * 365.25 + rng.uniform(0, 365, size=n)).astype(np.int64)
    seq = rng.integers(0, 1000, size=n)
    while True:  # two people may share a birthday, never a birthday and a sequence number
        key = days.astype(np.int64) * 1000 + seq
        _, first = np.unique(key, return_index=True)
        del key
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        del first
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 1000, size=int(dup.sum()))
    return days, seq.astype(np.int16)


def _id_strings(days: np.ndarray, seq: np.ndarray) -> list[str]:
    """Valid ID numbers of the district for these birthdays and sequence numbers."""
    n = days.size
    seq = seq.astype(np.int64)
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month_start = days.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day = (days - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    digits = np.empty((n, 17), dtype=np.int64)
    digits[:, :6] = [int(c) for c in REGION]
    for j, (value, width) in enumerate(((year, 4), (month, 2), (day, 2), (seq, 3))):
        start = 6 + sum((4, 2, 2)[:j])
        for p in range(width):
            digits[:, start + p] = value // 10 ** (width - 1 - p) % 10
    check = np.frombuffer(CHECK_CHARACTERS.encode(), dtype=np.uint8)
    codes = np.empty((n, 18), dtype=np.uint8)
    codes[:, :17] = digits + ord("0")
    codes[:, 17] = check[(digits @ np.array(WEIGHTS)) % 11]
    return codes.view("S18").ravel().astype("U18").tolist()


def _names(sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Chinese names; members of a family household mostly share its surname."""
    surnames = np.array([s for s, _ in SURNAMES])
    share = np.array([w for _, w in SURNAMES])
    share = share / share.sum()
    n = int(sizes.sum())
    family = rng.choice(surnames.size, size=sizes.size, p=share)
    own = rng.choice(surnames.size, size=n, p=share)
    shared = (rng.random(n) < 0.65) & np.repeat(sizes <= 10, sizes)
    surname = surnames[np.where(shared, np.repeat(family, sizes), own)]
    chars = np.array(list(GIVEN_CHARACTERS))
    first = chars[rng.integers(0, chars.size, size=n)]
    second = np.where(rng.random(n) < 0.7, chars[rng.integers(0, chars.size, size=n)], "")
    return np.strings.add(np.strings.add(surname, first), second)


def _phone_draws(ages: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(mobile number, has none) of each resident."""
    n = ages.size
    prefix = np.array(MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(MOBILE_PREFIXES), n)]
    numbers = prefix * 100_000_000 + rng.integers(0, 100_000_000, size=n)
    none = (ages < 12) | (rng.random(n) < NO_PHONE_SHARE)
    return numbers, none


def _phone_strings(numbers: np.ndarray, none: np.ndarray) -> list[str]:
    return ["" if x else str(v) for v, x in zip(numbers.tolist(), none.tolist(), strict=True)]


class BadDistrict(PoolabError, ValueError):
    """Counts no district can have (more compounds than households, ...)."""


HOME_VISIT_AGE = 80
"""``home_visits``: residents this old who live alone are sampled at home."""


BLOCK_RESIDENTS = 100_000
"""Residents turned into text at a time when a city is written (``write_district``)."""


@attrs.frozen(slots=True, eq=False)
class _District:
    """Every random draw of a district, as numpy arrays (a few dozen bytes a resident);
    ``block`` turns a range of residents into a ``Roster`` of text."""

    sizes: np.ndarray  # per household
    comp: np.ndarray  # per household: compound index, building, unit (0 = none), room
    bld: np.ndarray
    unit: np.ndarray
    room: np.ndarray
    names_of: list[str]
    member: np.ndarray  # per resident: household index
    name: np.ndarray  # per resident (numpy strings)
    days: np.ndarray
    seq: np.ndarray
    numbers: np.ndarray
    no_phone: np.ndarray
    foreign: np.ndarray  # residents with a Latin name (sorted) ...
    latin: np.ndarray  # ... and which
    no_id: np.ndarray  # residents without an ID number (sorted)
    home_visit: np.ndarray | None

    def __len__(self) -> int:
        return int(self.member.shape[0])

    def block(self, lo: int, hi: int) -> Roster:
        """Residents lo:hi (0-based), in walk order."""
        residents, households = len(self), self.sizes.shape[0]
        hh_format = f"H%0{max(6, len(str(households)))}d"
        res_format = f"R%0{max(7, len(str(residents)))}d"
        name = self.name[lo:hi].tolist()
        at, to = np.searchsorted(self.foreign, [lo, hi])
        for i, j in zip(self.foreign[at:to].tolist(), self.latin[at:to].tolist(), strict=True):
            name[i - lo] = LATIN_NAMES[j]
        id_number = _id_strings(self.days[lo:hi], self.seq[lo:hi])
        at, to = np.searchsorted(self.no_id, [lo, hi])
        for i in self.no_id[at:to].tolist():
            id_number[i - lo] = ""
        for i in self.foreign[np.searchsorted(self.foreign, lo) : np.searchsorted(self.foreign, hi)].tolist():
            id_number[i - lo] = ""  # foreigners carry passports
        member = self.member[lo:hi]
        # Small label tables indexed per resident: cheaper than str() on every value.
        rooms = {int(r): str(r) for r in np.unique(self.room[member])}
        buildings = [str(b) for b in range(int(self.bld.max()) + 1)]
        units = [""] + [str(u) for u in range(1, int(self.unit.max()) + 1)]
        comp_r, bld_r, unit_r, room_r = (a[member].tolist() for a in (self.comp, self.bld, self.unit, self.room))
        return roster_from_columns(
            resident_id=[res_format % i for i in range(lo + 1, hi + 1)],
            name=name,
            id_number=id_number,
            phone=_phone_strings(self.numbers[lo:hi], self.no_phone[lo:hi]),
            compound=[self.names_of[c] for c in comp_r],
            building=[buildings[b] for b in bld_r],
            unit=[units[u] for u in unit_r],
            room=[rooms[r] for r in room_r],
            household_id=[hh_format % (h + 1) for h in member.tolist()],
            line=range(lo + 2, hi + 2),
            home_visit=self.home_visit[lo:hi].tolist() if self.home_visit is not None else (),
        )


def _draw_district(
    residents: int, households: int, compounds: int, seed: int, home_visits: bool, bytes_per_resident: int
) -> _District:
    """All of a district's random draws, in one fixed order: one seed, one district
    (refused first when ``bytes_per_resident`` per resident would not fit)."""
    if not 1 <= compounds <= households <= residents:
        raise BadDistrict(
            _(
                "need 1 <= compounds <= households <= residents, got "
                "{compounds} compounds, {households} households, {residents} residents"
            ).format(compounds=compounds, households=households, residents=residents)
        )
    need = residents * bytes_per_resident
    have = shortfall(need)
    if have is not None:  # refused before anything is allocated, as simulate does
        raise BadDistrict(
            _(
                "a district of {residents} residents needs about {need} of memory; {have} is "
                "available: ask for fewer residents (--residents)"
            ).format(residents=f"{residents:,}", need=gib(need), have=gib(have))
        )
    rng = np.random.default_rng(seed)
    sizes = household_sizes(residents, households, rng)
    comp, bld, unit, room = _addresses(_split(households, compounds, rng), rng)
    names_of = compound_names(compounds, rng)
    ages = _ages(sizes, rng).astype(np.int16)
    name = _names(sizes, rng)
    days, seq = _id_draws(ages, rng)
    numbers, no_phone = _phone_draws(ages, rng)
    foreign = np.flatnonzero(rng.random(residents) < FOREIGN_SHARE)
    latin = rng.integers(0, len(LATIN_NAMES), foreign.size)
    no_id = np.flatnonzero(rng.random(residents) < NO_ID_SHARE)
    home = (ages >= HOME_VISIT_AGE) & np.repeat(sizes == 1, sizes) if home_visits else None
    member = np.repeat(np.arange(households, dtype=np.int32), sizes)
    small = np.int32
    return _District(
        sizes, comp.astype(small), bld.astype(small), unit.astype(small), room.astype(small), names_of, member,
        name, days, seq, numbers, no_phone, foreign, latin, no_id, home,
    )  # fmt: skip


def generate_district(
    residents: int = 97488, households: int = 58937, compounds: int = 38, seed: int = 0, home_visits: bool = False
) -> Roster:
    """A synthetic district with exactly these counts, in walk order; one seed, one district.
    ``home_visits`` adds the roster's ``home_visit`` column: residents of ``HOME_VISIT_AGE``
    or more living alone (about 0.6% of the seed district); the district is the same either way."""
    district = _draw_district(residents, households, compounds, seed, home_visits, BYTES_PER_RESIDENT)
    return district.block(0, residents)


def write_district_csv(path: str | os.PathLike[str], encoding: str = "utf-8", **district: Any) -> Roster:
    """Generate a district (``generate_district`` keywords) and write it as a roster CSV."""
    roster = generate_district(**district)
    write_roster_csv(roster, path, encoding=encoding)
    return roster


__all__ = ["generate_district", "write_district_csv", "write_roster_csv", "household_sizes"]


def write_district(
    output: Output,
    *,
    residents: int,
    households: int,
    compounds: int,
    seed: int = 0,
    encoding: str = "utf-8",
    home_visits: bool = False,
) -> int:
    """Generate a district (``generate_district``) and write it as a roster CSV, turned
    into text ``BLOCK_RESIDENTS`` at a time (a city of ten million is never held as
    Python strings); returns how many residents it holds."""
    if encoding not in WRITE_ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(WRITE_ENCODINGS)}, not {encoding!r}")
    district = _draw_district(residents, households, compounds, seed, home_visits, BYTES_PER_RESIDENT_WRITTEN)
    header = (*ROSTER_COLUMNS, HOME_VISIT_COLUMN) if home_visits else ROSTER_COLUMNS

    def rows() -> Iterator[tuple[str, ...]]:
        for lo in range(0, residents, BLOCK_RESIDENTS):
            block = district.block(lo, min(lo + BLOCK_RESIDENTS, residents))
            if home_visits:
                yield from ((*r, "1" if h else "0") for r, h in zip(block.rows(), block.home_visit, strict=True))
            else:
                yield from block.rows()

    # a roster is data for `roster import`, not a report: its cells are written as they are
    write_csv(output, header, rows(), encoding=encoding, neutralise=False)
    return residents
