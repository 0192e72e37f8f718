"""Hypothesis strategies: the one home for all of them (one section per area)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from hypothesis import strategies as st

# --- districts and pool assignment (poolab.field.pools, poolab.kernels.assign) -----------------

household_sizes = st.one_of(st.integers(1, 3), st.integers(1, 25))
"""Mostly small households, sometimes one larger than any pool size in use."""

pool_sizes = st.integers(1, 12)


@st.composite
def walk_codes(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer (compound, building, household) codes of residents already in walk order."""
    comp: list[int] = []
    bldg: list[int] = []
    hh: list[int] = []
    n_households = 0
    for c in range(draw(st.integers(1, 4))):
        for b in range(draw(st.integers(1, 4))):
            for size in draw(st.lists(household_sizes, min_size=1, max_size=12)):
                comp += [c] * size
                bldg += [b] * size
                hh += [n_households] * size
                n_households += 1
    return (np.array(comp, np.int64), np.array(bldg, np.int64), np.array(hh, np.int64))


@st.composite
def districts(draw: st.DrawFn) -> dict[str, list[str]]:
    """A small district roster (compound, building, unit, room, household_id), shuffled.

    1..4 compounds, a few buildings each, households of 1..25 people; unit may be empty;
    rooms such as "302" and "1201" so that only a natural sort gets the walk order right.
    """
    rows: list[tuple[str, str, str, str, str]] = []
    n_households = 0
    compounds = draw(st.lists(st.sampled_from("ABCDEFG"), min_size=1, max_size=4, unique=True))
    for c in compounds:
        buildings = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))
        for b in buildings:
            for size in draw(st.lists(household_sizes, min_size=1, max_size=10)):
                unit = draw(st.sampled_from(["", "1", "2", "10"]))
                room = str(draw(st.integers(1, 12)) * 100 + draw(st.integers(1, 4)))
                hid = f"H{n_households:04d}"
                n_households += 1
                for _ in range(size):
                    rows.append((f"Compound {c}", str(b), unit, room, hid))
    rng: Any = draw(st.randoms(use_true_random=False))
    rng.shuffle(rows)
    cols = list(zip(*rows, strict=True))
    keys = ("compound", "building", "unit", "room", "household_id")
    return {k: list(col) for k, col in zip(keys, cols, strict=True)}


# --- designs and decoding (poolab.plan.designs, poolab.kernels.decode_*) -----------------


@st.composite
def designs(draw: st.DrawFn, max_n: int = 60) -> Any:
    """A laid-out Design of any family on a small number of people (blocks may be partial)."""
    from poolab.plan import designs as d

    n = draw(st.integers(1, max_n))
    family = draw(st.sampled_from(["individual", "dorfman", "hier", "array", "array-master", "std"]))
    if family == "individual":
        return d.individual(n)
    if family == "dorfman":
        return d.dorfman(n, draw(st.integers(2, 12)))
    if family == "hier":
        k2 = draw(st.integers(2, 6))
        return d.hierarchical(n, draw(st.integers(k2 + 1, 16)), k2)
    if family in ("array", "array-master"):
        leftovers = draw(st.sampled_from(["rectangle", "dorfman", "individual"]))
        return d.array(n, draw(st.integers(2, 5)), master=family == "array-master", leftovers=leftovers)
    q = draw(st.sampled_from([2, 3, 5, 7]))
    gamma = draw(st.integers(1, 3 if q <= 3 else 2))
    return d.shifted_transversal(n, q, draw(st.integers(1, q)), gamma, confirm=draw(st.booleans()))


@st.composite
def pool_results(draw: st.DrawFn, design: Any) -> np.ndarray:
    """Per-pool results (int8: -1 untested, 0 negative, 1 positive) for a Design."""
    values = draw(st.lists(st.sampled_from([-1, 0, 1, 1]), min_size=design.npools, max_size=design.npools))
    return np.asarray(values, dtype=np.int8)


@st.composite
def incidences(draw: st.DrawFn, max_n: int = 25, max_pools: int = 15) -> tuple[int, np.ndarray, np.ndarray]:
    """(n, pool_ptr, pool_members): arbitrary pools (possibly empty, overlapping) on n people."""
    n = draw(st.integers(1, max_n))
    pools = draw(st.lists(st.lists(st.integers(0, n - 1), unique=True, max_size=8), min_size=1, max_size=max_pools))
    ptr = np.zeros(len(pools) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(p) for p in pools])
    members = np.asarray([m for p in pools for m in p], dtype=np.int64)
    return n, ptr, members


def district_like_codes(
    rng: np.random.Generator, n_compounds: int, households_per_compound: int = 1551
) -> dict[str, np.ndarray]:
    """A district-shaped roster as integer codes in walk order (for quality tests, benchmarks).

    Households mostly of 1-2 people, a few of 3-6, rare dormitories of 11-30; buildings of
    60-300 residents; about ``households_per_compound`` households per compound.
    Keys: compound, building, household, unit, room (one int64 array per resident).
    """
    low, high = households_per_compound * 2 // 3, households_per_compound * 4 // 3
    counts = rng.integers(low, high + 1, n_compounds)
    nh = int(counts.sum())
    kind = rng.choice(7, size=nh, p=[0.55, 0.33, 0.06, 0.03, 0.017, 0.01, 0.003])
    size = kind + 1
    dorm = kind == 6
    size[dorm] = rng.integers(11, 31, int(dorm.sum()))
    comp_h = np.repeat(np.arange(n_compounds), counts)
    start = np.cumsum(size) - size
    edges = np.cumsum(rng.integers(60, 301, int(size.sum()) // 60 + 2))
    bldg_h = np.searchsorted(edges, start, side="right") + comp_h  # a new building per compound
    new_bldg = np.r_[True, bldg_h[1:] != bldg_h[:-1]]
    first_of_bldg = np.maximum.accumulate(np.where(new_bldg, np.arange(nh), 0))
    idx = np.arange(nh) - first_of_bldg  # household number inside its building
    unit_h = idx // 48 + 1
    room_h = (idx % 48 // 4 + 1) * 100 + idx % 4 + 1
    rep = lambda a: np.repeat(a, size).astype(np.int64)  # noqa: E731
    return {
        "compound": rep(comp_h),
        "building": rep(bldg_h),
        "household": rep(np.arange(nh)),
        "unit": rep(unit_h),
        "room": rep(room_h),
    }


# --- roster files (poolab.roster.file, poolab.roster.idnumber) ----------------------------------------

_HANZI = "王李张刘陈杨赵欧阳明华伟芳丽强建国海波玉兰秀英小红·"
_LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FIELD_CHARS = _HANZI + _LATIN + "0123456789 -,\"'"


def _field(alphabet: str = _FIELD_CHARS, min_size: int = 1, max_size: int = 8) -> Any:
    """Text as a CSV field keeps it: no surrounding whitespace (readers strip it)."""
    return st.text(alphabet, min_size=min_size, max_size=max_size).map(str.strip).filter(bool)


person_names = st.one_of(
    _field(_HANZI, 2, 4),
    st.builds(lambda a, b: f"{a} {b}", _field(_LATIN, 1, 6), _field(_LATIN, 1, 8)),
    _field(),
)
"""Chinese names, Latin names, and odd ones with commas and quotes (CSV quoting)."""


@st.composite
def id_numbers(draw: st.DrawFn, region: str | None = None) -> str:
    """A valid 18-character PRC resident ID number."""
    import datetime

    from poolab.roster.idnumber import make_id_number

    region = region or draw(st.from_regex(r"[1-8][0-9]{5}", fullmatch=True))
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2021, 12, 31)))
    return make_id_number(region, born, draw(st.integers(0, 999)))


@st.composite
def rosters(draw: st.DrawFn, max_households: int = 12) -> Any:
    """A small valid Roster: 1..3 compounds, households of 1..12 people, optional fields."""
    from poolab.roster.file import roster_from_columns

    compounds = draw(st.lists(_field(), min_size=1, max_size=3, unique=True))
    optional = st.one_of(st.just(""), _field())
    cols: dict[str, list[str]] = {
        k: []
        for k in ("resident_id", "name", "id_number", "phone", "compound", "building", "unit", "room", "household_id")
    }
    n_households = draw(st.integers(1, max_households))
    for h in range(n_households):
        compound = draw(st.sampled_from(compounds))
        building, unit, room = draw(_field()), draw(optional), draw(optional)
        for _ in range(draw(st.integers(1, 12))):
            cols["resident_id"].append(f"R{len(cols['resident_id']):05d}")
            cols["name"].append(draw(st.one_of(st.just(""), person_names)))
            cols["id_number"].append(draw(st.one_of(st.just(""), id_numbers())))
            cols["phone"].append(draw(st.one_of(st.just(""), st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))))
            cols["compound"].append(compound)
            cols["building"].append(building)
            cols["unit"].append(unit)
            cols["room"].append(room)
            cols["household_id"].append(f"H{h:04d}")
    return roster_from_columns(**cast(dict[str, Any], cols))


# --- barcodes (poolab.barcodes) ------------------------------------------------------------


@st.composite
def issued_barcodes(draw: st.DrawFn) -> str:
    """A barcode poolab would issue: prefix P or S, a serial, its check character."""
    from poolab.barcodes import issue_barcodes

    prefix = draw(st.sampled_from(["P", "S"]))
    serial = draw(st.integers(0, 10**9 - 40))
    codes, _ = issue_barcodes(prefix, serial, 1)
    return codes[0]


# --- decoding files and the CLI (poolab.plan.decode_io) -------------------------------------


@st.composite
def design_specs(
    draw: st.DrawFn, families: tuple[str, ...] = ("dorfman", "hier", "array", "array-master", "std")
) -> str:
    """A design SPEC string of one of ``families``, with small pools."""
    family = draw(st.sampled_from(families))
    if family == "dorfman":
        return f"dorfman:{draw(st.integers(2, 8))}"
    if family == "hier":
        k2 = draw(st.integers(2, 4))
        return f"hier:{draw(st.integers(k2 + 1, 10))}-{k2}"
    if family in ("array", "array-master"):
        return f"{family}:{draw(st.integers(2, 4))}"
    q = draw(st.sampled_from([3, 5, 7]))
    k = draw(st.integers(1, q))
    return draw(st.sampled_from([f"std:{q}-{k}", f"std:{q}-{k}-2"]))


@st.composite
def std_params(draw: st.DrawFn, max_block: int = 400) -> tuple[int, int, int]:
    """(Q, K, G) of a shifted transversal design whose block Q^(G+1) is at most ``max_block``."""
    q = draw(st.sampled_from([q for q in (2, 3, 5, 7, 11, 13, 17, 19) if q * q <= max_block]))
    g = draw(st.integers(1, max(g for g in range(1, 10) if q ** (g + 1) <= max_block)))
    return q, draw(st.integers(1, q)), g


leftover_layouts = st.sampled_from(["rectangle", "dorfman", "individual"])
"""How an array's people after its last full square are tested (poolab.plan.leftovers)."""


@st.composite
def truth_vectors(draw: st.DrawFn, n: int) -> np.ndarray:
    """Who is infected among n people (bool): none, a few, or a dense minority."""
    k = draw(st.one_of(st.integers(0, min(3, n)), st.integers(0, n)))
    who = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True))
    truth = np.zeros(n, dtype=np.bool_)
    truth[who] = True
    return truth


# --- concentration laws (poolab.plan.concentration) ----------------------------------------


@st.composite
def atom_laws(
    draw: st.DrawFn, step: float, max_atoms: int = 3, avoid: float | None = None
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(values, probs) of an atomic concentration law whose values are multiples of
    ``step`` (so they lie on the exact closed forms' lattice), from well below one pool's
    threshold to well above it, sometimes far above every threshold; never ``avoid``."""
    ks = draw(st.lists(st.integers(1, 200), min_size=1, max_size=max_atoms, unique=True))
    values = [k * step for k in ks]
    if draw(st.booleans()):
        values[0] = 1e6  # a strong positive: alone it makes every pool it is in detectable
    values = [v for v in dict.fromkeys(values) if v != avoid] or [step]
    weights = draw(st.lists(st.integers(1, 10), min_size=len(values), max_size=len(values)))
    return tuple(values), tuple(w / sum(weights) for w in weights)


# --- pool results for prevalence estimates (poolab.reports.prevalence) ------------------------------


@st.composite
def pool_rows(draw: st.DrawFn, max_rows: int = 4) -> Any:
    """A few pools of one group (up to 6 people, some from another group), their results,
    and individual results for some members (a member sometimes tested twice)."""
    from poolab.reports.prevalence import PoolRows

    inside, outside, positive = [], [], []
    ind_row, ind_member, ind_inside, ind_pos = [], [], [], []
    for r in range(draw(st.integers(1, max_rows))):
        m_in = draw(st.integers(1, 4))
        m_out = draw(st.integers(0, 6 - m_in))
        inside.append(m_in)
        outside.append(m_out)
        positive.append(draw(st.booleans()))
        tested = draw(st.lists(st.integers(0, m_in + m_out - 1), max_size=m_in + m_out + 1))
        for j in tested:
            ind_row.append(r)
            ind_member.append(j)
            ind_inside.append(j < m_in)
            ind_pos.append(draw(st.booleans()))
    n = len(inside)
    return PoolRows(
        group=np.zeros(n, dtype=np.int64),
        inside=np.asarray(inside, dtype=np.int64),
        outside=np.asarray(outside, dtype=np.int64),
        positive=np.asarray(positive, dtype=bool),
        ind_row=np.asarray(ind_row, dtype=np.int64),
        ind_member=np.asarray(ind_member, dtype=np.int64),
        ind_inside=np.asarray(ind_inside, dtype=bool),
        ind_positive=np.asarray(ind_pos, dtype=bool),
        groups=1,
    )


@st.composite
def csv_like_texts(draw: st.DrawFn) -> str:
    """Mostly rectangular CSV text, now and then ragged, padded, quoted or blank-lined."""
    width = draw(st.integers(1, 3))
    field = st.text(st.sampled_from("ab张"), max_size=3) | st.text(st.sampled_from('ab张 "\t\u3000'), max_size=3)
    rows = draw(
        st.lists(st.lists(field, min_size=width, max_size=width) | st.lists(field, max_size=4), min_size=1, max_size=5)
    )
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return eol.join(",".join(r) for r in rows) + draw(st.sampled_from(["", "\n", "\n\n"]))


# --- rounds of a silent period (poolab.field.rounds, campaign new --after) ---------------------


@st.composite
def round_districts(draw: st.DrawFn) -> dict[str, list[Any]]:
    """A small district for a chain of rounds: 1..2 compounds of 1..3 buildings, households
    of 1..6 people, rooms drawn from a few so that two households sometimes share one (and
    a household's member sometimes lives in another room), about one resident in six
    sampled at home. Columns ``compound, building, unit, room,
    household_id, home_visit`` (in walk-unrelated order)."""
    cols: dict[str, list[Any]] = {k: [] for k in ("compound", "building", "unit", "room", "household_id", "home_visit")}
    h = 0
    for c in draw(st.lists(st.sampled_from("AB"), min_size=1, max_size=2, unique=True)):
        for b in draw(st.lists(st.integers(1, 3), min_size=1, max_size=3, unique=True)):
            for size in draw(st.lists(st.integers(1, 6), min_size=1, max_size=6)):
                unit = draw(st.sampled_from(["1", "2"]))
                room = draw(st.sampled_from(["101", "102", "201"]))
                for _ in range(size):
                    cols["compound"].append(c)
                    cols["building"].append(str(b))
                    cols["unit"].append(unit)
                    cols["room"].append(room if draw(st.integers(0, 4)) else draw(st.sampled_from(["101", "301"])))
                    cols["household_id"].append(f"H{h:03d}")
                    cols["home_visit"].append(draw(st.integers(0, 5)) == 0)
                h += 1
    return cols


@st.composite
def round_specs(draw: st.DrawFn, buildings: list[tuple[str, str]]) -> dict[str, Any]:
    """One round's choices: pool size, the rules for what the chain left (``RoundRules``
    keywords), some risk buildings with their pool size, and a seed for its results."""
    pool_size = draw(st.integers(1, 10))
    risk = draw(st.lists(st.sampled_from(buildings), max_size=2, unique=True)) if buildings else []
    return {
        "pool_size": pool_size,
        "rules": {
            "contacts": draw(st.sampled_from(["single", "exclude", "pool"])),
            "contacts_of": draw(st.sampled_from(["household", "room"])),
            "isolation_rounds": draw(st.one_of(st.none(), st.integers(1, 2))),
        },
        "risk": risk,
        "risk_pool_size": draw(st.integers(1, pool_size)),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


# --- instrument verdict columns (poolab.lab.instruments.verdicts) ------------------------------

VERDICT_HEADER = ("Omit", "NOAMP", "EXPFAIL", "BADROX", "NOISE", "Amp Status", "Result Quality Issues")
_VERDICT_WORDS = {
    "Omit": ["false", "False", "FALSE", "true", "TRUE", "", " false", "maybe"],
    "flag": ["N", "n", "Y", "y", "", " N", "yes"],
    "Amp Status": ["Amp", "AMP", "No Amp", "NO_AMP", "no amp", "Inconclusive", "INCONCLUSIVE", "", "Reviewed"],
    "Result Quality Issues": ["", "", " ", "Cq confidence", "BADROX; NOISE"],
}


@st.composite
def verdict_rows(draw: st.DrawFn) -> tuple[list[str], list[str], bool]:
    """(header, row, has_ct): some of the verdict columns in any order, each with the words
    instruments write (any case, blanks, padded) and some they never do; rows may be short."""
    columns = draw(st.lists(st.sampled_from(VERDICT_HEADER), unique=True, max_size=len(VERDICT_HEADER)))
    row = [draw(st.sampled_from(_VERDICT_WORDS.get(c, _VERDICT_WORDS["flag"]))) for c in columns]
    cut = draw(st.integers(0, len(row)))
    return columns, row[: len(row) - cut] if draw(st.booleans()) else row, draw(st.booleans())
