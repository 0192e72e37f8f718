"""Plumbing for files: CSV read as people send it and written as spreadsheets open it
(``csvio``), big CSV files read a block at a time (``csvstream``), output written whole or not
at all (``atomic``), problems files beside a refused input (``problems``), and progress of a
long step (``meter``).

May import: the shared vocabulary only (``poolab.errors``, ``poolab.masking``); nothing here
knows residents, tubes or the store."""
