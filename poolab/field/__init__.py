"""The field: a testing round and its pool tubes (``campaigns``, ``pools``), the sampling
manifest and field binding of pre-printed tubes (``sampling``), and scan streams as a
handheld scanner or a file gives them (``scans``).

May import: the shared vocabulary, ``poolab.files``, ``poolab.roster``, ``poolab.store``,
``poolab.kernels``. Never the lab or the reports."""
