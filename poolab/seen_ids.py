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
    """Hashes of the ids added so far (empty ids are left out)."""

    def __init__(self, salt: int = 0) -> None:
        self.salt = salt
        self._seen = np.zeros(0, np.int64)
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
        repeated = h[1:][same]
        new = h[np.concatenate(([True], ~same))] if h.size else h  # h is sorted: unique in one pass
        if self._seen.size:
            at = np.searchsorted(self._seen, new)
            hit = self._seen[np.minimum(at, self._seen.size - 1)] == new
            repeated = np.concatenate([repeated, new[hit]])
            self._seen = np.insert(self._seen, at[~hit], new[~hit])
        else:
            self._seen = new
        if repeated.size:
            self.candidates.update(repeated.tolist())
        return bool(repeated.size)

    def __len__(self) -> int:
        """Distinct hashes seen."""
        return int(self._seen.size)
