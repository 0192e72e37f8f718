"""Which schema this release needs: the newest migration in ``poolab/store/migrations``.

Kept apart from the migrations so that opening a store checks its revision without
importing Alembic (tests check that ``HEAD`` is the migrations' head).
"""

HEAD = "0004"
V1_TABLE = "meta"
"""The table that marks a store made before migrations (it held ``schema_version`` 1)."""
