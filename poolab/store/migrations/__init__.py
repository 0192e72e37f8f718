"""Alembic migrations of the store: ``poolab init`` runs them (see ``poolab.store.migrate``)."""
