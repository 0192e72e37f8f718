"""Pooling designs as incidence structures: which pools exist, in which stage, and when
each pool is tested.

Every design is one ``Design``: its name and family, and its arrays as the kernels take
them (``poolab.kernels.layout.StagedDesign``: pools in CSR form ordered by stage, each
pool's rule ROOT, TREE, ARRAY_CELL or COMP_CELL, the rules being documented there). A
stage is one step of the assay, with its own Se/Sp. Individuals are laid out in the order
given (keep households together by passing them in household order); the last block may
be partial:

* ``dorfman:K``: the lab rule exactly (a positive pool's members are all resampled), also
  for a remainder pool of one;
* ``hier:K1-K2``: subpools of K2 consecutive members, the last holding the remainder; a
  subpool of one is that person's final test (binGroup2); a block of at most K2 people
  goes straight from its pool to individual tests;
* ``array:R`` / ``array-master:R``: blocks of R×R filled row-major, so a remainder block
  has a short last row (and shorter columns);
* shifted transversal design (Thierry-Mieg 2006), built with ``shifted_transversal``.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from poolab.i18n import _
from poolab.kernels.layout import (
    ARRAY_CELL,
    COMP_CELL,
    KIND_COL,
    KIND_OTHER,
    KIND_ROW,
    ROOT,
    TREE,
    StagedDesign,
    staged_design,
)
from poolab.plan.inputs import check_prevalence, stage_values
from poolab.plan.leftovers import LEFTOVER_LAYOUTS, choose_leftovers
from poolab.plan.spec import BadSpec, DesignSpec, check_std
from poolab.plan.std_layout import layer_pools

__all__ = ["ARRAY_CELL", "COMP_CELL", "KIND_COL", "KIND_OTHER", "KIND_ROW", "ROOT", "TREE", "Design"]

_I64 = np.int64


@attrs.frozen(slots=True, eq=False)
class Design:
    """A laid-out design: its name, family and people, and its arrays (``staged``)."""

    name: str
    family: str
    n: int
    staged: StagedDesign
    pool_stage: np.ndarray  # int64[npools]: each pool's stage
    guarantee: int = 0  # non-adaptive: any <= guarantee positives per block are decoded exactly

    @property
    def stage_ptr(self) -> np.ndarray:
        """int64[nstages+1]: pools of stage s are stage_ptr[s]:stage_ptr[s+1]."""
        return self.staged.stage_ptr

    @property
    def pool_ptr(self) -> np.ndarray:
        """int64[npools+1]: CSR offsets of the pools' members."""
        return self.staged.pool_ptr

    @property
    def pool_members(self) -> np.ndarray:
        """int64[nnz]: the pools' members, pool by pool."""
        return self.staged.pool_members

    @property
    def pool_rule(self) -> np.ndarray:
        """int8[npools]: ROOT, TREE, ARRAY_CELL or COMP_CELL."""
        return self.staged.pool_rule

    @property
    def pool_parent(self) -> np.ndarray:
        """int64[npools]: TREE parent, or an ARRAY_CELL's row pool; -1 none."""
        return self.staged.pool_parent

    @property
    def pool_parent2(self) -> np.ndarray:
        """int64[npools]: an ARRAY_CELL's column pool; -1 otherwise."""
        return self.staged.pool_parent2

    @property
    def pool_block(self) -> np.ndarray:
        """int64[npools]: the block (array square, STD block) of each pool."""
        return self.staged.pool_block

    @property
    def pool_kind(self) -> np.ndarray:
        """int8[npools]: KIND_ROW / KIND_COL for array lines, else KIND_OTHER."""
        return self.staged.pool_kind

    @property
    def member_ptr(self) -> np.ndarray:
        """int64[n+1]: CSR offsets of each person's first-stage pools."""
        return self.staged.member_ptr

    @property
    def member_pools(self) -> np.ndarray:
        """int64: each person's first-stage pools."""
        return self.staged.member_pools

    @property
    def leaf_of_member(self) -> np.ndarray:
        """int64[n]: the pool whose result is each person's final call; -1 = COMP's call."""
        return self.staged.leaf_of_member

    @property
    def nblocks(self) -> int:
        """Blocks (array squares, STD blocks, Dorfman pools) of the layout."""
        return self.staged.nblocks

    @property
    def npools(self) -> int:
        """Number of pools over all stages (individual tests included)."""
        return int(self.pool_ptr.shape[0] - 1)

    @property
    def nstages(self) -> int:
        """Number of stages (the most rounds of testing the design can take)."""
        return int(self.stage_ptr.shape[0] - 1)

    def pool_sizes(self) -> np.ndarray:
        """Members per pool."""
        return np.diff(self.pool_ptr)

    def stage_incidence(self, stage: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """CSR (ptr, members) of one stage's pools, numbered from 0 within the stage."""
        lo, hi = int(self.stage_ptr[stage]), int(self.stage_ptr[stage + 1])
        ptr = self.pool_ptr[lo : hi + 1]
        return ptr - ptr[0], self.pool_members[ptr[0] : ptr[-1]].copy()

    def pool_of_member(self, stage: int = 0) -> np.ndarray:
        """Each member's pool (global id) at a stage where pools are disjoint; -1 if none."""
        lo, hi = int(self.stage_ptr[stage]), int(self.stage_ptr[stage + 1])
        out = np.full(self.n, -1, dtype=_I64)
        sizes = np.diff(self.pool_ptr[lo : hi + 1])
        members = self.pool_members[self.pool_ptr[lo] : self.pool_ptr[hi]]
        owners = np.repeat(np.arange(lo, hi, dtype=_I64), sizes)
        if np.unique(members).shape[0] != members.shape[0]:
            raise ValueError(f"stage {stage} pools overlap; a member has no single pool")
        out[members] = owners
        return out


class _Builder:
    """Collects pools stage by stage; parents are given as global pool ids of earlier stages."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.sizes: list[np.ndarray] = []
        self.members: list[np.ndarray] = []
        self.parent: list[np.ndarray] = []
        self.parent2: list[np.ndarray] = []
        self.block: list[np.ndarray] = []
        self.kind: list[np.ndarray] = []
        self.rule: list[np.ndarray] = []
        self.stage_rule = ROOT  # the rule of pools added to the current stage unless told
        self.stage_counts: list[int] = []
        self.count = 0  # pools so far

    def stage(self, rule: int) -> None:
        """Open the next stage; its pools follow ``rule`` unless ``add`` says otherwise."""
        self.stage_rule = rule
        self.stage_counts.append(0)

    def add(
        self,
        sizes: np.ndarray,
        members: np.ndarray,
        block: np.ndarray,
        parent: np.ndarray | None = None,
        parent2: np.ndarray | None = None,
        kind: int = KIND_OTHER,
        rule: int | None = None,
    ) -> np.ndarray:
        """Add pools to the current stage; return their global ids."""
        k = sizes.shape[0]
        ids = np.arange(self.count, self.count + k, dtype=_I64)
        minus = np.full(k, -1, dtype=_I64)
        # copy=False: the caller's fresh arrays are kept, not copied (a city's are 80 MB each)
        self.sizes.append(sizes.astype(_I64, copy=False))
        self.members.append(members.astype(_I64, copy=False))
        self.block.append(block.astype(_I64, copy=False))
        self.parent.append(minus if parent is None else parent.astype(_I64, copy=False))
        self.parent2.append(minus if parent2 is None else parent2.astype(_I64, copy=False))
        self.kind.append(np.full(k, kind, dtype=np.int8))
        self.rule.append(np.full(k, self.stage_rule if rule is None else rule, dtype=np.int8))
        self.count += k
        self.stage_counts[-1] += k
        return ids

    def build(self, name: str, family: str, leaf: np.ndarray, nblocks: int, guarantee: int = 0) -> Design:
        sizes = np.concatenate(self.sizes)
        ptr = np.zeros(sizes.shape[0] + 1, dtype=_I64)
        np.cumsum(sizes, out=ptr[1:])
        counts = np.asarray(self.stage_counts, dtype=_I64)
        stage_ptr = np.zeros(counts.shape[0] + 1, dtype=_I64)
        np.cumsum(counts, out=stage_ptr[1:])
        members = _joined(self.members)
        # transpose of the first stage: member -> its first-stage pools
        hi0 = int(stage_ptr[1])
        m0 = members[: ptr[hi0]]
        owner0 = np.repeat(np.arange(hi0, dtype=_I64), sizes[:hi0])
        if m0.shape[0] > 1 and not bool(np.all(m0[1:] >= m0[:-1])):  # in person order already: no sort
            owner0 = owner0[np.argsort(m0, kind="stable")]
        member_ptr = np.zeros(self.n + 1, dtype=_I64)
        np.cumsum(np.bincount(m0, minlength=self.n), out=member_ptr[1:])
        staged = staged_design(
            stage_ptr=stage_ptr,
            pool_ptr=ptr,
            pool_members=members,
            pool_rule=_joined(self.rule),
            pool_parent=_joined(self.parent),
            pool_parent2=_joined(self.parent2),
            pool_block=_joined(self.block),
            pool_kind=_joined(self.kind),
            member_ptr=member_ptr,
            member_pools=owner0,
            leaf_of_member=leaf.astype(_I64, copy=False),
            nblocks=nblocks,
        )
        pool_stage = np.repeat(np.arange(counts.shape[0], dtype=_I64), counts)
        return Design(name=name, family=family, n=self.n, staged=staged, pool_stage=pool_stage, guarantee=guarantee)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The parts end to end, each freed as soon as it is copied (a city's design is
    hundreds of megabytes: the parts and the whole are never all held at once)."""
    out = np.empty(sum(p.shape[0] for p in parts), dtype=parts[0].dtype)
    at = 0
    while parts:
        part = parts.pop(0)
        out[at : at + part.shape[0]] = part
        at += part.shape[0]
    return out


def _blocks(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive blocks of k (the last may be partial): (sizes, block id of each member)."""
    sizes = np.full((n + k - 1) // k, k, dtype=_I64)
    if n % k:
        sizes[-1] = n % k
    return sizes, np.arange(n, dtype=_I64) // k


def individual(n: int) -> Design:
    """Everyone tested alone: one stage, n tests."""
    b = _Builder(n)
    b.stage(ROOT)
    ids = b.add(np.ones(n, _I64), np.arange(n), np.arange(n))
    return b.build("individual", "individual", ids, n)


def dorfman(n: int, k: int) -> Design:
    """Pools of k consecutive people; every member of a positive pool is tested alone."""
    b = _Builder(n)
    sizes, blk = _blocks(n, k)
    b.stage(ROOT)
    pools = b.add(sizes, np.arange(n), np.arange(sizes.shape[0]))
    b.stage(TREE)
    leaf = b.add(np.ones(n, _I64), np.arange(n), blk, parent=pools[blk])
    return b.build(f"dorfman:{k}", "dorfman", leaf, sizes.shape[0])


def hierarchical(n: int, k1: int, k2: int) -> Design:
    """Three stages: pools of k1, subpools of k2 (last holds the remainder), individuals."""
    if not k1 > k2 >= 2:
        raise BadSpec(_("hier:{k1}-{k2} needs K1 > K2 >= 2").format(k1=k1, k2=k2))
    b = _Builder(n)
    sizes, blk = _blocks(n, k1)
    nb = sizes.shape[0]
    idx = np.arange(n, dtype=_I64)
    b.stage(ROOT)
    top = b.add(sizes, idx, np.arange(nb))
    # stage 1: subpools of blocks larger than k2
    split = sizes[blk] > k2
    offset = idx - blk * k1
    key = blk * k1 + offset // k2  # unique per (block, subpool)
    sm = idx[split]
    starts = np.flatnonzero(np.diff(key[sm], prepend=-1)) if sm.size else np.zeros(0, _I64)
    sub_sizes = np.diff(np.append(starts, sm.shape[0]))
    sub_first = sm[starts] if sm.size else np.zeros(0, _I64)
    b.stage(TREE)
    sub_ids = b.add(sub_sizes, sm, blk[sub_first], parent=top[blk[sub_first]])
    sub_of = np.full(n, -1, dtype=_I64)
    sub_of[sm] = np.repeat(sub_ids, sub_sizes)
    size_of_sub = np.zeros(n, dtype=_I64)
    size_of_sub[sm] = np.repeat(sub_sizes, sub_sizes)
    # stage 2: individuals, except in subpools of one (that subpool is their test) and in
    # blocks of one (that pool is their test)
    alone_sub = split & (size_of_sub == 1)
    alone_block = sizes[blk] == 1
    tested = ~alone_sub & ~alone_block
    parent = np.where(split, sub_of, top[blk])[tested]
    b.stage(TREE)
    ind = b.add(np.ones(int(tested.sum()), _I64), idx[tested], blk[tested], parent=parent)
    leaf = np.empty(n, dtype=_I64)
    leaf[tested] = ind
    leaf[alone_sub] = sub_of[alone_sub]
    leaf[alone_block] = top[blk[alone_block]]
    return b.build(f"hier:{k1}-{k2}", "hier", leaf, nb)


def array(n: int, r: int, master: bool = False, leftovers: str = "rectangle") -> Design:
    """R×R squares filled row-major: row and column pools (after a master pool when
    ``master``), then individuals by the ARRAY_CELL rule. The people after the last full
    square are laid out as ``leftovers`` says (``leftovers.py``): one more, partial square
    (``rectangle``), Dorfman pools of R (``dorfman``: pools in the row/column stage, their
    retests in the individual stage) or tests alone (``individual``, the individual stage)."""
    if leftovers not in LEFTOVER_LAYOUTS:
        raise BadSpec(
            _("leftovers must be one of {layouts}, not {value}").format(
                layouts=", ".join(LEFTOVER_LAYOUTS), value=repr(leftovers)
            )
        )
    b = _Builder(n)
    sq = r * r
    m = n if leftovers == "rectangle" else n - n % sq  # people in squares
    sizes, blk = _blocks(m, sq)
    nb = sizes.shape[0]
    idx = np.arange(m, dtype=_I64)
    off = idx - blk * sq
    row, col = off // r, off % r
    parent_lines = None
    if master:
        b.stage(ROOT)
        masters = b.add(sizes, idx, np.arange(nb))
        b.stage(TREE)
    else:
        b.stage(ROOT)
    # rows: consecutive members
    rkey = blk * r + row
    rstarts = np.flatnonzero(np.diff(rkey, prepend=-1))
    rsizes = np.diff(np.append(rstarts, m))
    rblk = blk[rstarts]
    if master:
        parent_lines = masters[rblk]
    row_ids = b.add(rsizes, idx, rblk, parent=parent_lines, kind=KIND_ROW)
    row_of = np.repeat(row_ids, rsizes)
    # columns: members sorted by (block, column, row)
    ckey = blk * r + col
    corder = np.lexsort((row, col, blk))
    csorted = ckey[corder]
    cstarts = np.flatnonzero(np.diff(csorted, prepend=-1))
    csizes = np.diff(np.append(cstarts, m))
    cblk = blk[corder][cstarts]
    if master:
        parent_lines = masters[cblk]
    col_ids = b.add(csizes, idx[corder], cblk, parent=parent_lines, kind=KIND_COL)
    col_of = np.empty(m, dtype=_I64)
    col_of[corder] = np.repeat(col_ids, csizes)
    # leftovers in Dorfman pools of r: tested with the rows and columns
    rest = np.arange(m, n, dtype=_I64)
    pool_sizes, pool_blk = _blocks(n - m, r)
    dorfman_pools = np.zeros(0, dtype=_I64)
    if leftovers == "dorfman" and rest.size:
        dorfman_pools = b.add(pool_sizes, rest, nb + np.arange(pool_sizes.shape[0]), rule=ROOT)
    b.stage(ARRAY_CELL)
    leaf = np.empty(n, dtype=_I64)
    leaf[:m] = b.add(np.ones(m, _I64), idx, blk, parent=row_of, parent2=col_of)
    if rest.size:
        ones = np.ones(rest.shape[0], _I64)
        if leftovers == "dorfman":
            parent = dorfman_pools[pool_blk]
            leaf[m:] = b.add(ones, rest, nb + pool_blk, parent=parent, rule=TREE)
        else:  # individual
            leaf[m:] = b.add(ones, rest, nb + np.arange(rest.shape[0]), rule=ROOT)
    nblocks = nb + (pool_sizes.shape[0] if leftovers == "dorfman" else rest.shape[0])
    name = f"array-master:{r}" if master else f"array:{r}"
    return b.build(name, "array-master" if master else "array", leaf, nblocks)


def shifted_transversal(n: int, q: int, k: int, gamma: int = 1, confirm: bool = True) -> Design:
    """Shifted transversal design std:Q-K-G (Thierry-Mieg 2006; ``transversal.py``) on
    blocks of ``q**(gamma+1)`` people: layer j (0 <= j < k <= q) puts person i (base-q
    digits i_c) in pool ``sum_c i_c * j**c mod q``. Two people share at most ``gamma``
    pools (a nonzero polynomial of degree <= gamma has at most gamma roots mod q), so the
    design is t-disjunct with ``t = (k - 1) // gamma``: any <= t positives per block are
    decoded exactly by COMP and DD. With ``confirm`` COMP's candidates are then tested alone."""
    check_std(q, k, gamma)
    block = q ** (gamma + 1)
    sizes, blk = _blocks(n, block)
    idx = np.arange(n, dtype=_I64)
    pools = layer_pools(idx - blk * block, q, k, gamma)
    b = _Builder(n)
    b.stage(ROOT)
    # global pool key: (block, layer, pool within layer); empty pools of a partial block drop out
    allkeys = ((blk[None, :] * k + np.arange(k, dtype=_I64)[:, None]) * q + pools).reshape(-1)
    allmembers = np.tile(idx, k)
    order = np.argsort(allkeys, kind="stable")
    sk = allkeys[order]
    starts = np.flatnonzero(np.diff(sk, prepend=-1))
    psizes = np.diff(np.append(starts, sk.shape[0]))
    b.add(psizes, allmembers[order], sk[starts] // (k * q))
    t = (k - 1) // gamma
    name = str(DesignSpec("std", (q, k, gamma)))
    if confirm:
        b.stage(COMP_CELL)
        leaf = b.add(np.ones(n, _I64), idx, blk)
    else:
        leaf = np.full(n, -1, dtype=_I64)
    return b.build(name, "std", leaf, sizes.shape[0], guarantee=t)


def design_for(
    spec: DesignSpec,
    n: int,
    *,
    prevalence: float | None = None,
    se: float | Sequence[float] = 1.0,
    sp: float | Sequence[float] = 1.0,
    leftovers: str | None = None,
) -> Design:
    """Lay out ``n`` individuals in the design named by ``spec``.

    An array design whose last square would be partial tests its leftovers as
    ``leftovers`` says, or else as ``leftovers.choose_leftovers`` picks at ``prevalence``
    with ``se``/``sp`` (one per stage): the simulator and ``plan opchar --residents`` make
    the same choice. Without either, such a layout is refused (``BadSpec`` says what to give).
    """
    if n < 1:
        raise BadSpec(_("a design needs at least one individual, got {value}").format(value=n))
    if spec.family == "individual":
        return individual(n)
    if spec.family == "dorfman":
        return dorfman(n, spec.sizes[0])
    if spec.family == "hier":
        return hierarchical(n, spec.sizes[0], spec.sizes[1])
    if spec.family in ("array", "array-master"):
        master = spec.family == "array-master"
        r = spec.sizes[0]
        rest = n % (r * r)
        if rest and leftovers is None:
            if prevalence is None:
                raise BadSpec(
                    _(
                        "{design} on {n} people leaves {rest} after the full {r}x{r} squares; they are tested as the "
                        "cheapest of a partial square, Dorfman pools of {r} or tests alone at the planned prevalence: "
                        "give the prevalence (with Se/Sp as planned), "
                        "or the leftover layout (rectangle, dorfman, individual)"
                    ).format(design=spec, n=n, rest=rest, r=r)
                )
            p = check_prevalence(prevalence)
            ses, sps = stage_values(se, spec.family, "se"), stage_values(sp, spec.family, "sp")
            leftovers = choose_leftovers(master, r, rest, p, ses, sps)
        return array(n, r, master=master, leftovers=leftovers or "rectangle")
    if spec.family == "std":
        q, k, g = spec.sizes
        return shifted_transversal(n, q, k, g)
    raise BadSpec(_("no design for family {family}").format(family=repr(spec.family)))
