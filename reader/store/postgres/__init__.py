"""The PostgreSQL backend of the store: one database shared by several machines."""

from reader.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
