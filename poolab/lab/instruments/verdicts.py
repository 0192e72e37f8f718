"""The instrument's own verdicts on a reading, read from the columns that carry them:
QuantStudio's ``Omit`` and flag columns (``EXPFAIL``, ``BADROX``, ... as ``Y``/``N``),
and the Design & Analysis software's ``Amp Status`` and ``Result Quality Issues``.

Shared by the text export and both workbook layouts, so a flag cannot be read in one
and lost in another. What a flag does to a call is the bench's business
(``poolab.lab.bench.calling``); here a reading only learns which flags it carries."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from poolab.i18n import _
from poolab.lab.instruments import constants as C

# the words of an ordinary reading, as instruments write them (the fast path of ``read``)
_PLAIN_FALSE = frozenset({"false", "False", "FALSE", ""})
_PLAIN_NO = frozenset({"N", "n", ""})
_PLAIN_NOAMP = frozenset({"N", "n", "", "Y", "y"})  # NOAMP Y is ordinary where there is no Ct
_PLAIN_AMP = frozenset({"Amp", "AMP", "amp", ""})
_PLAIN_NO_AMP = frozenset({"No Amp", "NO_AMP", "No_Amp", "no amp", ""})


def _index(header: Sequence[str], name: str) -> int | None:
    wanted = name.lower()
    for i, h in enumerate(header):
        if h.strip().lower() == wanted:
            return i
    return None


@attrs.frozen(slots=True)
class VerdictColumns:
    """Where a table keeps the instrument's verdicts (None: the table has no such column)."""

    omit: int | None = None
    flags: tuple[tuple[str, int], ...] = ()
    noamp: int | None = None
    amp_status: int | None = None
    quality: int | None = None

    @classmethod
    def of(cls, header: Sequence[str]) -> VerdictColumns:
        flags = tuple((name, i) for name in C.QS_FLAGS if (i := _index(header, name)) is not None)
        return cls(
            omit=_index(header, C.QS_OMIT[0]),
            flags=flags,
            noamp=_index(header, C.QS_NOAMP),
            amp_status=_index(header, C.AMP_STATUS),
            quality=_index(header, C.QUALITY_ISSUES),
        )

    def read(self, row: Sequence[str], has_ct: bool) -> tuple[bool, tuple[str, ...], list[tuple[str, str]]]:
        """(omitted, flags, problems) of one row; ``has_ct``: the row's Ct is a number.
        A problem is (value, why): a verdict column holding a word it never holds, which
        refuses the file rather than guess whether the instrument trusted the reading."""
        n = len(row)
        # the ordinary row (nothing omitted, every flag N, amplification as the Ct says,
        # no quality issue) is most of a plate: said at once, without the word-by-word reading
        if (
            (self.omit is None or (self.omit < n and row[self.omit] in _PLAIN_FALSE))
            and all(i < n and row[i] in _PLAIN_NO for _name, i in self.flags)
            and (self.quality is None or self.quality >= n or not row[self.quality])
            and (
                self.noamp is None
                or (self.noamp < n and row[self.noamp] in (_PLAIN_NOAMP if not has_ct else _PLAIN_NO))
            )
            and (
                self.amp_status is None
                or (self.amp_status < n and row[self.amp_status] in (_PLAIN_AMP if has_ct else _PLAIN_NO_AMP))
            )
        ):
            return False, (), []
        return self._read(row, has_ct)

    def _read(self, row: Sequence[str], has_ct: bool) -> tuple[bool, tuple[str, ...], list[tuple[str, str]]]:
        def cell(i: int | None) -> str:
            return row[i].strip() if i is not None and i < len(row) else ""

        problems: list[tuple[str, str]] = []
        omit = cell(self.omit).upper()
        if omit not in C.OMIT_TRUE + C.OMIT_FALSE:
            problems.append((cell(self.omit), _("Omit must be true or false")))
        flags: list[str] = []
        for name, i in self.flags:
            value = cell(i).upper()
            if value in C.FLAG_YES:
                flags.append(name)
            elif value not in C.FLAG_NO:
                problems.append((cell(i), _("flag column {name} must be Y or N").format(name=name)))
        noamp = cell(self.noamp).upper()
        if noamp not in C.FLAG_YES + C.FLAG_NO:
            problems.append((cell(self.noamp), _("flag column {name} must be Y or N").format(name=C.QS_NOAMP)))
        status = cell(self.amp_status).upper().replace(" ", "_")
        word = C.AMP_STATUS_WORDS.get(status)
        if word is None:
            why = _("{column} must be Amp, No Amp or Inconclusive").format(column=C.AMP_STATUS)
            problems.append((cell(self.amp_status), why))
        elif word and word != C.QS_NOAMP:
            flags.append(word)
        # "no amplification" beside a Ct contradicts itself: the reading cannot be trusted
        if has_ct and (noamp in C.FLAG_YES or word == C.QS_NOAMP) and C.QS_NOAMP not in flags:
            flags.append(C.QS_NOAMP)
        quality = cell(self.quality)
        if quality:
            flags.extend(q.strip() for q in quality.replace(";", ",").split(",") if q.strip())
        return omit in C.OMIT_TRUE, tuple(flags), problems
