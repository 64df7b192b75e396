"""Declarative base shared by every domain's models."""

from __future__ import annotations

import datetime as dt
import functools

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids fit the databases' integer columns; anything bigger in a URL or a form is not found.
MAX_ID = 2**31 - 1


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are stored as
    naive UTC and given back aware. Naive values are refused: they are a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, let readers go on while one writer writes (WAL), and
    wait for the write lock rather than fail at once."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    if dbapi_connection.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def built_once(build):
    """A query built once and kept (SQLAlchemy then reuses its compiled form and cache key);
    what changes between calls are its bind parameters. For the queries of every page."""
    return functools.cache(build)


def read_outside_transaction(bind, sql: str):
    """The first value of one read on a pooled connection of its own, in autocommit on
    PostgreSQL: no ``BEGIN`` and ``ROLLBACK`` around it, two round trips fewer (SQLite begins
    no transaction for a read, and switching its mode costs more than it saves). ``bind``:
    the engine; a connection (the tests' transaction) is read as it is."""
    if isinstance(bind, sa.engine.Connection):
        return bind.exec_driver_sql(sql).scalar()
    with bind.connect() as connection:
        if bind.dialect.name != "sqlite":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        return connection.exec_driver_sql(sql).scalar()


def database_answers(pinged_at_checkout: bool) -> bool:
    """For the load balancer's health check: one ``SELECT 1``, or none when taking a pooled
    connection already pings the server (``pool_pre_ping``: a new connection, or one that
    answered the ping; else it raises)."""
    from app.extensions import db

    try:  # no ORM session to open and close
        if pinged_at_checkout:
            db.engine.connect().close()
        else:
            read_outside_transaction(db.engine, "SELECT 1")
    except sa.exc.SQLAlchemyError:
        return False
    return True


def write_lock(session) -> None:
    """Make the rest of this transaction hold the database write lock on SQLite.

    Races (two people booking the last slot) are settled by the database: PostgreSQL by row
    locks and constraints, SQLite by taking the write lock *before* reading what is free
    (``BEGIN IMMEDIATE``). Only the action runner (``core.actions``) calls it, before the
    service; nothing is pending at that point, so ending the read transaction loses nothing.
    """
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or isinstance(bind, sa.engine.Connection):
        # PostgreSQL locks rows; a session bound to a connection runs inside a transaction
        # its caller owns (the tests' rolled-back one): nothing to take here.
        return
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("write_lock() must come before any change")
    session.commit()
    session.execute(sa.text("BEGIN IMMEDIATE"))


# Files written during a transaction (a room's photo) follow it: kept if it commits, removed
# if it rolls back; files it replaces are removed only once it has committed.


def on_commit(session, callback) -> None:
    session.info.setdefault("on_commit", []).append(callback)


def on_rollback(session, callback) -> None:
    session.info.setdefault("on_rollback", []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_commit_callbacks(session) -> None:
    session.info.pop("on_rollback", None)
    for callback in session.info.pop("on_commit", []):
        callback()


@event.listens_for(Session, "after_rollback")
def _run_rollback_callbacks(session) -> None:
    if session.in_nested_transaction():
        return
    session.info.pop("on_commit", None)
    for callback in session.info.pop("on_rollback", []):
        callback()
