"""Pages kept for the person who asked them, until the data or the minute changes.

The pages a resident opens again and again (the home page, the rooms, the programme, the
votes) are rendered once and kept in the server process's memory, for the same session only:
the same person, the same session (its cookie's whole content: residence chosen, CSRF token,
language), the same address and htmx headers. A kept page is given again only while

- **nothing was written to the database**: every transaction that writes also changes one
  token, ``data_version.token`` (a random number, in the same transaction, just before it
  commits: ``_bump``). A request reads the token first (one small query); a page kept under
  another token is never given. Any write anywhere invalidates every kept page of every
  server, whatever it changed;
- **the minute has not changed**: a page that depends on the time ("libre maintenant", the
  activities that start) is rendered again at least every minute (times in the app are to
  the minute); a view whose page changes at a precise moment says so (``valid_until``: a
  vote opened or closed "now" with its seconds);
- the session has **no message to show** (a flash is shown once: such a page is not kept,
  nor given from memory).

A kept page skips the loading of the user and the view: it costs what the session cookie and
that one query cost. A page is kept only when its view is marked ``@cached_page``, answered
200 with HTML, and left the session unchanged (a first CSRF token, a language or residence
chosen, a flash shown: rendered each time until the session is stable).

Writes are seen at the lowest level (every SQL statement of the engine), so a write by a
service, a command, a migration or by hand through the app's engine counts; a write made
outside the app (``psql``) is seen at the next write through the app, or within the minute
for time-dependent pages only: restart the servers after editing the database by hand.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from sqlalchemy import event

from app.core.db import Base, read_outside_transaction, utcnow

data_version = sa.Table(
    "data_version",
    Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("token", sa.BigInteger, nullable=False),
)

_WROTE = "page_cache_wrote"  # on a DBAPI connection's info: this transaction wrote
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "TRUNCATE")
_READ = "SELECT token FROM data_version WHERE id = 1"
_EXTENSION = "page_cache"
# The token of a transaction that wrote; the row comes back if the table was emptied. By
# placeholder style: psycopg's, SQLite's.
_BUMP = {
    False: "INSERT INTO data_version (id, token) VALUES (1, %s) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token",
    True: "INSERT INTO data_version (id, token) VALUES (1, ?) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token",
}

# The htmx request headers that change the page (with the address and the whole session).
_HTMX_HEADERS = (
    "HX-Request",
    "HX-Request-Type",
    "HX-Boosted",
    "HX-Target",
    "HX-History-Restore-Request",
)


def cached_page(view):
    """Mark a GET view whose page may be kept (see the module's docstring): a page that only
    depends on the database, the session, the address and the minute."""
    view.page_cache = True
    return view


def valid_until(moment: dt.datetime | None) -> None:
    """The page being rendered changes at ``moment`` (UTC: a vote closes at 18:00:30): it
    is not given from memory from then on, even within the minute."""
    if moment is None:
        return
    current = g.get("_page_valid_until")
    if current is None or moment < current:
        g._page_valid_until = moment


@dataclass
class Entry:
    body: bytes
    headers: list[tuple[str, str]]
    valid_until: dt.datetime | None = None


class PageCache:
    """The kept pages of one server process: only those of the current (token, minute)."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.epoch: tuple | None = None
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.size = 0

    def _enter(self, epoch: tuple) -> None:
        if epoch != self.epoch:
            self.epoch = epoch
            self.entries.clear()
            self.size = 0

    def get(self, epoch: tuple, key: tuple) -> Entry | None:
        with self.lock:
            self._enter(epoch)
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, epoch: tuple, key: tuple, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 4:
            return
        with self.lock:
            if epoch != self.epoch:  # the data or the minute changed meanwhile
                return
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            self.entries[key] = entry
            self.size += len(entry.body)
            while self.entries and (
                len(self.entries) > self.max_entries or self.size > self.max_bytes
            ):
                _key, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped.body)


def init_app(app: Flask, engine) -> None:
    watch_writes(engine)
    if app.config.get("PAGE_CACHE"):
        app.extensions[_EXTENSION] = PageCache(
            app.config["PAGE_CACHE_MAX_ENTRIES"], app.config["PAGE_CACHE_MAX_BYTES"]
        )
        app.after_request(_keep)


# -- the token ------------------------------------------------------------------------------


def watch_writes(engine) -> None:
    """Change the token in every transaction that writes, just before it commits."""
    if event.contains(engine, "before_cursor_execute", _note_write):
        return
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "commit", _bump_before_commit)
    event.listen(engine, "rollback", _forget)


def is_write(statement: str, context) -> bool:
    """Whether an SQL statement changes data (compiled, or written out as text)."""
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return statement.lstrip()[:8].upper().startswith(_WRITES)


def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:
    if is_write(statement, context):
        conn.info[_WROTE] = True


def _bump_before_commit(conn) -> None:
    if conn.info.pop(_WROTE, False):
        dialect = conn.dialect
        try:
            bump(conn.connection.dbapi_connection, dialect.name, conn.info)
        except dialect.loaded_dbapi.Error as error:
            # Said as SQLAlchemy says a failed statement (this event runs before its own
            # handling): the transaction is not committed and the request fails as any other.
            raise sa.exc.DBAPIError.instance(
                "data_version", None, error, dialect.loaded_dbapi.Error, dialect=dialect
            ) from error


def _forget(conn) -> None:
    conn.info.pop(_WROTE, None)


_EXISTS = {  # whether the table is there yet (the migrations before its own write too)
    False: "SELECT to_regclass('data_version') IS NOT NULL",
    True: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'data_version'",
}
_READY = "page_cache_table"


def bump(dbapi_connection, dialect: str, info: dict) -> None:
    """A new token, in the connection's transaction (on the DBAPI connection itself: no
    SQLAlchemy event runs again). ``info``: the connection's, which remembers that the table
    exists."""
    sqlite = dialect == "sqlite"
    cursor = dbapi_connection.cursor()
    try:
        if not info.get(_READY):
            cursor.execute(_EXISTS[sqlite])
            if not cursor.fetchone()[0]:
                return
            info[_READY] = True
        cursor.execute(_BUMP[sqlite], (secrets.randbits(62),))
    finally:
        cursor.close()


# -- giving and keeping pages ---------------------------------------------------------------


def _key() -> tuple | None:
    """What the page depends on besides the data and the minute; None: not to keep."""
    if request.method != "GET" or "_user_id" not in session or "_flashes" in session:
        return None
    if "lang" in request.args:  # a change of language is remembered by the view
        return None
    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "page_cache", False):
        return None
    return (
        request.host_url,
        request.full_path,
        tuple(request.headers.get(name) for name in _HTMX_HEADERS),
        tuple(sorted((name, repr(value)) for name, value in session.items())),
    )


def _epoch(bind) -> tuple | None:
    # Read before the page's own transaction starts: the page shows data at least as new.
    token = read_outside_transaction(bind, _READ)
    if token is None:  # the table was emptied: keep nothing until the next write
        return None
    return (token, utcnow().replace(second=0, microsecond=0))


def kept_page(bind) -> Response | None:
    """The page kept for this request, if any (before_request, before the user is loaded).
    Notes what keeping the page will need. ``bind``: the database session's engine (or the
    connection the tests' session is bound to)."""
    cache: PageCache | None = current_app.extensions.get(_EXTENSION)
    if cache is None:
        return None
    key = _key()
    if key is None:
        return None
    epoch = _epoch(bind)
    if epoch is None:
        return None
    entry = cache.get(epoch, key)
    if entry is None or (entry.valid_until is not None and utcnow() >= entry.valid_until):
        g._page_cache = (epoch, key)
        return None
    g._page_kept = True
    return Response(entry.body, 200, entry.headers)


_SKIPPED_HEADERS = frozenset({"set-cookie", "content-length"})


def _keep(response: Response) -> Response:
    pending = g.pop("_page_cache", None)
    if (
        pending is None
        or response.status_code != 200
        or response.mimetype != "text/html"
        or response.is_streamed
        or session.modified
        or "_flashes" in session
    ):
        return response
    epoch, key = pending
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _SKIPPED_HEADERS]
    entry = Entry(response.get_data(), headers, g.pop("_page_valid_until", None))
    current_app.extensions[_EXTENSION].put(epoch, key, entry)
    return response
