"""The store: SQLModel tables, the engine, bulk paths and every query. Nothing outside
this package writes SQL; the workflow modules call the keyword-only functions here.

May import: SQLAlchemy, SQLModel, Alembic and the vocabulary (``poolab.errors``,
``barcodes``); never a stage above it.
"""
