"""Dilution: why a pool of K finds fewer positives than K single tubes.

The shared model (the simulator and the closed forms both use it):

* an infected person's swab has a cycle threshold ``Ct ~ Normal(ct_mean, ct_sd)``
  (one Ct per person, lower = more virus);
* the concentration of a sample is proportional to ``2**-Ct``; a pool's concentration
  is the mean over its K members (negatives contribute nothing), so its Ct is
  ``-log2(mean(2**-Ct_i))``: one positive in K shifts Ct by ``log2 K``;
* the assay detects a pool when its Ct is at or below ``limit_ct``; on top of that,
  a detectable sample is called positive with the assay's sensitivity Se (so with no
  dilution the model reduces to the plain Se/Sp model).

The parameters' defaults and their sources are documented on the class.
"""

from __future__ import annotations

import attrs


@attrs.frozen(slots=True)
class DilutionModel:
    """Ct distribution of infected individuals and the assay's detection limit (Ct)."""

    ct_mean: float = 25.0
    ct_sd: float = 5.0
    limit_ct: float = 38.0
