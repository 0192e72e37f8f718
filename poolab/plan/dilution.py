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

Closed forms used by the planner. A pool of K holding exactly one positive is detected
when ``Ct + log2 K <= limit_ct``, so its sensitivity is
``Se * Phi((limit_ct - log2 K - ct_mean) / ct_sd)`` (``pool_sensitivity``): the figure to
quote for a pool size. A pool holding several positives has a higher concentration than
any one of them alone, which matters as soon as p*K is not small (at dorfman:50, p = 0.05,
the one-positive figure understates the tests by 18%): for dorfman, hier, array,
array-master and std:Q-K the planner sums over how many positives each pool holds and how
much virus each carries (``exact_dilution.py``, ``std_dilution.py``), and agrees with the
simulator at any prevalence and pool size; std:Q-K-G with G >= 2 is bounded rather than
exact (``std_dilution.py``).

A positive found in a pool of K is not always detectable alone (a second positive may
have carried the pool), and a pool too dilute to detect can still test positive falsely
(1 - Sp), sending its members to their own tubes: the exact closed forms follow each
person's own concentration through every stage, as the simulator does.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import numpy.typing as npt

from poolab.calls import CT_RANGE
from poolab.errors import PoolabError
from poolab.i18n import _


class BadDilution(PoolabError):
    """A dilution model or pool size that makes no sense (sd <= 0, K < 1)."""


@attrs.frozen(slots=True)
class DilutionModel:
    """Ct distribution of infected individuals and the assay's detection limit (Ct).

    Defaults, with sources:

    * ``ct_mean = 27.2``, ``ct_sd = 7.6``: first SARS-CoV-2 RT-PCR tests of a clinical
      laboratory (1,109 positives, March-June 2020) had median Ct 27.2 and IQR
      22.2-32.4 (Emerging Infectious Diseases 27(1):92-103, 2021,
      doi:10.3201/eid2701.203379, Table 2, "Laboratory-wide, First"). A normal with the
      same median and IQR has mean 27.2 and sd = IQR / 1.349 = 7.6.
    * ``limit_ct = 38.0``: a typical kit cut-off (kits call Ct 35-40 positive; use your
      kit's instructions for use).

    Cross-check: with these values the sensitivity of a pool relative to its members
    tested alone, ``Phi(z_K) / Phi(z_1)``, is 0.94 for K=5, 0.91 for K=10 and 0.81 for
    K=50, matching the 93%, 91% and 81% measured by dilution series in Bateman et al.,
    J Med Virol 2021, doi:10.1002/jmv.26519.
    """

    ct_mean: float = 27.2
    ct_sd: float = 7.6
    limit_ct: float = 38.0


def check_model(model: DilutionModel) -> None:
    """Raise ``BadDilution`` unless the model's sd is positive and its values finite."""
    _check(model)


def _check(model: DilutionModel) -> None:
    low, high = CT_RANGE
    if not (0 < model.ct_sd <= high / 2):  # NaN fails every comparison
        raise BadDilution(
            _("ct_sd must be a number of cycles above 0 and at most {high} (value {value})").format(
                high=f"{high / 2:g}", value=repr(model.ct_sd)
            )
        )
    for name, value in (("ct_mean", model.ct_mean), ("limit_ct", model.limit_ct)):
        if not (low < value <= high):
            raise BadDilution(
                _("{name} must be a cycle number above {low} and at most {high} (value {value})").format(
                    name=name, low=f"{low:g}", high=f"{high:g}", value=repr(value)
                )
            )


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def detectable_fraction(k: int, model: DilutionModel) -> float:
    """P(a pool of ``k`` holding exactly one positive has Ct <= limit_ct)."""
    _check(model)
    if k < 1:
        raise BadDilution(_("pool size must be at least 1 (value {value})").format(value=repr(k)))
    return _phi((model.limit_ct - math.log2(k) - model.ct_mean) / model.ct_sd)


def pool_sensitivity(k: int, model: DilutionModel, se: float) -> float:
    """Sensitivity of a pool of ``k`` holding exactly one positive: Se * Phi(z_k)."""
    return se * detectable_fraction(k, model)


def detectable_fraction_array(k: npt.ArrayLike, model: DilutionModel) -> npt.NDArray[np.float64]:
    """``detectable_fraction`` over an array of pool sizes (vectorised erf)."""
    _check(model)
    ks = np.asarray(k, dtype=np.float64)
    if ks.size and ks.min() < 1:
        raise BadDilution(_("pool sizes must be at least 1 (smallest {value})").format(value=repr(ks.min())))
    z = (model.limit_ct - np.log2(ks) - model.ct_mean) / (model.ct_sd * math.sqrt(2.0))
    # numpy has no erf; math.erf through frompyfunc is exact and fast enough for K <= 10^4
    erf = np.frompyfunc(math.erf, 1, 1)
    return np.asarray(0.5 * (1.0 + np.asarray(erf(z), dtype=np.float64)), dtype=np.float64)


def pool_sensitivity_array(k: npt.ArrayLike, model: DilutionModel, se: float) -> npt.NDArray[np.float64]:
    """``pool_sensitivity`` over an array of pool sizes."""
    return se * detectable_fraction_array(k, model)


def relative_pool_sensitivity(k: int, model: DilutionModel) -> float:
    """Sensitivity of a pool of ``k`` relative to testing its positive alone."""
    return detectable_fraction(k, model) / detectable_fraction(1, model)
