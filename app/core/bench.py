"""Benchmark support (``FLASK_BENCHMARK=1``, for ``bench/run.py`` only).

- ``/bench/hello``: a bare route *inside* the app (it still pays the session, the user and the
  request hooks): with the bare Flask app of ``bench/hello_app.py`` it shows what every
  request costs before any view.
- ``X-Query-Count``: the SQL statements of the request, up to its last ``after_request`` hook.
- ``X-Page-Kept``: ``1`` when the page was given from memory (``core.pagecache``), not
  rendered.
- ``X-Query-Count-Before-View``: the SQL statements made before the view's own work. That is
  every statement made before Flask calls the view function (its URL value preprocessors and
  ``before_request`` hooks, the app's and the blueprints', in whatever order they run), plus
  those of Flask-Login's user loader when it runs later: Flask-Login loads the user at the
  first use of ``current_user`` (a hook today; ``login_required`` or the view if the hook
  stopped using it), and loading the user is never a page's own work.

How: ``app.dispatch_request`` is the call that runs the view, once every hook has run
(``Flask.full_dispatch_request`` calls ``preprocess_request`` then ``dispatch_request``, and
skips it when a hook answers instead). It is wrapped to note the count at that moment; when it
is never called (a hook answered or raised), every statement of the request came before the
view. The headers are written after ``app.process_response``, so statements made in
``after_request`` hooks count in the total too.
"""

from __future__ import annotations

import functools
import threading

from flask import Flask, g
from sqlalchemy import event

from app.extensions import db

QUERIES = "_bench_queries"  # statements so far in this request
AT_VIEW = "_bench_queries_at_view"  # ... when Flask called the view function
USER_AFTER = "_bench_user_queries_after_view"  # the user loader's, once the view was called


def init_app(app: Flask) -> None:
    if not app.config.get("BENCHMARK"):
        return

    @app.get("/bench/hello")
    def bench_hello():
        return "hello", 200, {"Content-Type": "text/plain"}

    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def count_query(conn, cursor, statement, parameters, context, executemany):
            if g:  # in an app context (a request, or a command)
                setattr(g, QUERIES, g.get(QUERIES, 0) + 1)

    wrap_lock = threading.Lock()
    dispatch_request = app.dispatch_request
    process_response = app.process_response

    @functools.wraps(dispatch_request)
    def counted_dispatch_request(*args, **kwargs):
        # Checked at each request, not once: a user loader registered after init_app would
        # replace the counting one.
        _count_user_loader(app, wrap_lock)
        setattr(g, AT_VIEW, g.get(QUERIES, 0))
        return dispatch_request(*args, **kwargs)

    @functools.wraps(process_response)
    def counted_process_response(response):
        response = process_response(response)
        total = g.get(QUERIES, 0)
        before_view = g.get(AT_VIEW, total) + g.get(USER_AFTER, 0)
        response.headers["X-Query-Count"] = str(total)
        response.headers["X-Query-Count-Before-View"] = str(before_view)
        response.headers["X-Page-Kept"] = "1" if g.get("_page_kept") else "0"
        return response

    app.dispatch_request = counted_dispatch_request
    app.process_response = counted_process_response


def _count_user_loader(app: Flask, lock: threading.Lock) -> None:
    """Wrap Flask-Login's user loader (once) to count its statements made after the view
    was called; those made before are already in the count at the view."""
    manager = getattr(app, "login_manager", None)
    if manager is None or _counted(manager.user_callback):
        return  # no Flask-Login, no loader, or already wrapped
    with lock:
        loader = manager.user_callback
        if _counted(loader):
            return

        @functools.wraps(loader)
        def counted_loader(*args, **kwargs):
            if AT_VIEW not in g:
                return loader(*args, **kwargs)
            before = g.get(QUERIES, 0)
            try:
                return loader(*args, **kwargs)
            finally:
                setattr(g, USER_AFTER, g.get(USER_AFTER, 0) + g.get(QUERIES, 0) - before)

        counted_loader._bench_counted = True
        manager.user_loader(counted_loader)


def _counted(loader) -> bool:
    return loader is None or getattr(loader, "_bench_counted", False)
