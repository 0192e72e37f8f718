"""Which ids a streamed file has already shown, in bounded memory.

A set of ten million resident ids takes about a gigabyte; their 64-bit hashes in one
sorted numpy array take 80 MB. An id whose hash was seen before is a *candidate*
duplicate: almost always a real one, very rarely (about 1 in 10^6 for a city of ten
million) two ids that share a hash. The caller confirms candidates on the ids themselves
(``candidates`` holds their hashes) and, when none was real, reads again with another
``salt``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


class SeenIds:
    """Hashes of the ids added so far (empty ids are left out), as a few sorted runs:
    a new chunk's run is merged with the last one while that one is at most twice its
    size, so a city's 200 chunks cost O(n log n) in all (inserting each chunk into one
    array would move the whole array 200 times)."""

    def __init__(self, salt: int = 0) -> None:
        self.salt = salt
        self._runs: list[npt.NDArray[np.int64]] = []
        self.candidates: set[int] = set()

    def hashes(self, ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """The hash of each id (``salt`` 0: Python's own string hash, stable within a run)."""
        if self.salt:
            salt = self.salt
            return np.fromiter((hash((salt, v)) for v in ids), np.int64, len(ids))
        return np.fromiter(map(hash, ids), np.int64, len(ids))

    def add(self, ids: Sequence[str]) -> bool:
        """Add a chunk of ids; True when one of them may repeat an id seen before (in
        this chunk or an earlier one)."""
        h = self.hashes(ids)
        if "" in ids:
            h = h[np.asarray([v != "" for v in ids], dtype=bool)]
        h.sort()
        same = h[1:] == h[:-1]
        repeated = [h[1:][same]]
        new = h[np.concatenate(([True], ~same))] if h.size else h  # h is sorted: unique in one pass
        for run in self._runs:
            if run.size and new.size:
                at = np.minimum(np.searchsorted(run, new), run.size - 1)
                hit = run[at] == new
                repeated.append(new[hit])
                new = new[~hit]  # kept once, in the run that has it
        self._runs.append(new)
        while len(self._runs) > 1 and self._runs[-2].size <= 2 * self._runs[-1].size:
            last = self._runs.pop()
            self._runs[-1] = np.sort(np.concatenate((self._runs[-1], last)), kind="stable")  # two sorted runs: a merge
        found = np.concatenate(repeated)
        if found.size:
            self.candidates.update(found.tolist())
        return bool(found.size)

    def __len__(self) -> int:
        """Distinct hashes seen."""
        return sum(int(r.size) for r in self._runs)
