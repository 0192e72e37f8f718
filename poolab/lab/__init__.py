"""The lab: reception scans (``reception``), results from a CSV or keyed in (``results``),
plates, kits and calls at the bench (``bench``), instrument exports as they come off the
machine (``instruments``), and resolving a day's results into retest, re-run and
confirmed-positive lists (``resolve``).

May import: the shared vocabulary, ``poolab.files``, ``poolab.field`` (scan streams),
``poolab.store``, ``poolab.kernels``. Never the reports, paper or web."""
