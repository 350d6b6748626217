"""Persistence: SQLAlchemy models, engine, Alembic migrations and the batched message-log writer.

SQLite (the default) and PostgreSQL are both first-class; nothing here is created at import time.
"""
