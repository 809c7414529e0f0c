"""Alembic migrations of the store; run them with `layerforge.store.migrate.upgrade`."""
