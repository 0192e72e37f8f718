"""Each person's posterior probability of infection from pool results, one solver per module.

Model: infections independent with prior ``p``; a tested pool is positive with
probability Se when it holds an infected member and 1 - Sp when not (Se, Sp per pool, so
per stage). The factor graph links each person to the tested pools holding them; its
connected components are independent (a district is thousands of them: a Dorfman pool
with its retests, a hierarchical block, one R×R array), so they are labelled once
(``graph.components``: union-find over the tested pools) and each is solved on its own,
dealt out to every core (``posterior``); no component waits on another's convergence:

* **tree components** (edges = people + pools - 1: a Dorfman pool with its individual
  retests, a negative pool of any design, an untested person): belief propagation, which
  is exact on a tree (``loopy``). EXACT.
* **nested components with cycles** (every two pools nested or disjoint: a positive
  ``hier:K1-K2`` block, whose pool and subpools share members, with its individual
  tests): one sweep up and one down the tree of pools by containment (``nested``). EXACT.
* **other small components with cycles** (at most ``max_exact`` people, e.g. one R×R
  array with R <= 4): exact enumeration of all 2^m infection patterns (``exact``). EXACT.
* **larger components with crossing pools** (arrays with R >= 5, with or without a master
  pool; non-adaptive designs): loopy belief propagation (``loopy``). APPROXIMATE.

``Posterior.exact`` says which people got an exact value. BP on one component at a time
runs the same message updates as BP on the whole graph at once (components share no
message), so it reaches the same fixed point; only the stopping pass differs, by less
than the 1e-12 tolerance (the tests compare it with the global schedule). Each solver
module has its own validating wrapper (``loopy_posterior``, ``nested_posterior``,
``enumerate_posterior``) running it on a whole graph, for its tests.

May import: ``poolab.kernels`` only.
"""

from poolab.kernels.bayes.posterior import Posterior, posterior

__all__ = ["Posterior", "posterior"]
