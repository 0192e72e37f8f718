"""Closed form of one array block of any size: ``m`` people filled row-major into rows of
``R`` (the last row may be short, so the first columns are one longer than the others),
rows and columns tested, then the people the ARRAY_CELL rule picks; with or without a
master pool over the block first. A full R×R square is the case m = R² (and agrees with
``opchar._array_core``, binGroup2's form); a partial square is the remainder block of an
``array:R`` layout.

Derivation (plain Se/Sp assay, one Se/Sp per stage; infections iid with prevalence p,
q = 1 - p). The focal person sits at row i, column j, with status x. Its row and its
column share only the focal cell, so given x they are independent; each other line
crossing them meets them in exactly one cell. Write, for a line of L people,

* ν(L) = Sp·q^(L-1) + (1 - Se)·(1 - q^(L-1)): the line tests negative, one member known
  negative; 1 - Se when that member is positive;
* ν0(L) = Sp·q^L + (1 - Se)·(1 - q^L): it tests negative, nothing known;
* A(L) = q·ν(L) + p·(1 - Se) and B(L) = q·ν(L): over its crossing member's status, the
  line negative (A), or the member negative and the line negative (B).

The focal person is tested when (row+, column+), or (row+, every column -), or
(column+, every row -): three disjoint events. Given x,

* P(row+, column+) = Se² if x = 1, else (1 - ν(b_i))·(1 - ν(L_j));
* P(row+, every column -) = P(column j - | x) · Π ν0(L_k) over the columns that miss row i
  · [Se·Π A(L_k) - (1 - x)·(Se + Sp - 1)·Π B(L_k)] over the columns k ≠ j crossing row i
  (the row is positive with Se when someone in it is infected, else with 1 - Sp);
* P(column+, every row -): the same with rows and columns exchanged.

With a master pool, every test after it needs the master positive: for x = 1 that is Se_m
times the above; for x = 0 it is Se_m·P(tested) - (Se_m + Sp_m - 1)·P(tested, nobody
infected), and when nobody is infected every line is positive with 1 - Sp alone, so
P(tested, nobody infected | x = 0) = q^(m-1)·(1 - Sp)·[(1 - Sp) + Sp^cols + Sp^rows].

Columns come in two lengths and rows in two, so every product is a power of at most two
factors: the whole block is a handful of numbers, for any R. ``tests/naive.py`` checks it
against enumeration of every infection pattern and every result.
"""

from __future__ import annotations

from poolab.plan.blocks import BlockTotals


def array_block(
    m: int,
    r: int,
    p: float,
    line: tuple[float, float],
    individual: tuple[float, float],
    master: tuple[float, float] | None = None,
) -> BlockTotals:
    """Totals of one block of ``m`` people (1 <= m <= r²) in rows of ``r``; ``line``,
    ``individual`` and ``master`` are the (Se, Sp) of the row/column tests, the individual
    tests and the master pool (None: no master pool)."""
    if not 1 <= m <= r * r:
        raise ValueError(f"an array block of rows of {r} holds 1..{r * r} people, not {m}")
    se, sp = line
    c = se + sp - 1.0
    q = 1.0 - p
    rows = -(-m // r)
    last = m - (rows - 1) * r  # length of the last row
    cols = r if rows > 1 else m
    # column lengths: the first `last` columns hold every row, the others one fewer
    long_len, short_len = rows, rows - 1
    n_long, n_short = last, cols - last

    def nu(length: int) -> float:
        return sp * q ** (length - 1) + (1.0 - se) * (1.0 - q ** (length - 1))

    def nu0(length: int) -> float:
        return sp * q**length + (1.0 - se) * (1.0 - q**length)

    def a(length: int) -> float:
        return q * nu(length) + p * (1.0 - se)

    def b(length: int) -> float:
        return q * nu(length)

    def tested(row_len: int, col_len: int, x: int, cross_cols: tuple[int, int], miss_cols: tuple[int, int],
               cross_rows: tuple[int, int], miss_rows: tuple[int, int]) -> float:  # fmt: skip
        """P(tested | x) of a person in a row of ``row_len`` and a column of ``col_len``;
        ``cross_cols`` = (how many long, how many short) other columns cross its row,
        ``miss_cols`` those that miss it (likewise rows, with lengths (r, last))."""
        lens_c = (long_len, short_len)
        lens_r = (r, last)
        pa_c = 1.0
        pb_c = 1.0
        miss_c = 1.0
        pa_r = 1.0
        pb_r = 1.0
        miss_r = 1.0
        for t in range(2):
            if cross_cols[t]:
                pa_c *= a(lens_c[t]) ** cross_cols[t]
                pb_c *= b(lens_c[t]) ** cross_cols[t]
            if miss_cols[t]:
                miss_c *= nu0(lens_c[t]) ** miss_cols[t]
            if cross_rows[t]:
                pa_r *= a(lens_r[t]) ** cross_rows[t]
                pb_r *= b(lens_r[t]) ** cross_rows[t]
            if miss_rows[t]:
                miss_r *= nu0(lens_r[t]) ** miss_rows[t]
        if x:
            both = se * se
            row_rest = se * pa_c
            col_rest = se * pa_r
            own_col_neg = own_row_neg = 1.0 - se
        else:
            both = (1.0 - nu(row_len)) * (1.0 - nu(col_len))
            row_rest = se * pa_c - c * pb_c
            col_rest = se * pa_r - c * pb_r
            own_col_neg = nu(col_len)
            own_row_neg = nu(row_len)
        return both + own_col_neg * miss_c * row_rest + own_row_neg * miss_r * col_rest

    tests = float(rows + cols)
    found = 0.0
    false = 0.0
    se_i, sp_i = individual
    if master is not None:
        se_m, sp_m = master
        all_neg = q**m
        tests = 1.0 + (se_m * (1.0 - all_neg) + (1.0 - sp_m) * all_neg) * tests
        quiet = q ** (m - 1) * (1.0 - sp) * ((1.0 - sp) + sp**cols + sp**rows)
    # the four kinds of cell: (full row | last row) x (long column | short column)
    full_rows = rows - 1
    for in_last_row in (False, True):
        n_rows_here = 1 if in_last_row else full_rows
        if n_rows_here == 0:
            continue
        row_len = last if in_last_row else r
        for long_col in (True, False):
            if in_last_row and not long_col:
                continue  # the last row holds only long columns
            count_cols = n_long if long_col else n_short
            if count_cols == 0:
                continue
            col_len = long_len if long_col else short_len
            # other columns crossing this row: the row's own columns but j
            if in_last_row:
                cross_cols = (n_long - 1, 0)
                miss_cols = (0, n_short)
            else:
                cross_cols = (n_long - (1 if long_col else 0), n_short - (0 if long_col else 1))
                miss_cols = (0, 0)
            # other rows crossing this column: full rows but i, and the last row if long
            other_full = full_rows - (0 if in_last_row else 1)
            last_crosses = long_col and not in_last_row and rows > 1
            cross_rows = (other_full, 1 if last_crosses else 0)
            miss_rows = (0, 1 if (not long_col and rows > 1) else 0)
            cells = n_rows_here * count_cols
            t1 = tested(row_len, col_len, 1, cross_cols, miss_cols, cross_rows, miss_rows)
            t0 = tested(row_len, col_len, 0, cross_cols, miss_cols, cross_rows, miss_rows)
            if master is not None:
                t1 = se_m * t1
                t0 = se_m * t0 - (se_m + sp_m - 1.0) * quiet
            tests += cells * (p * t1 + q * t0)
            found += cells * se_i * t1
            false += cells * (1.0 - sp_i) * t0
    return BlockTotals(m, tests, found, false)
