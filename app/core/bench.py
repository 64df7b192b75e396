"""Benchmark support (``FLASK_BENCHMARK=1``): a bare "hello" route to compare against, and
the number of SQL queries of each request in an ``X-Query-Count`` response header."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import event

from app.extensions import db


def init_app(app: Flask) -> None:
    if not app.config.get("BENCHMARK"):
        return

    @app.get("/bench/hello")
    def bench_hello():
        return "hello", 200, {"Content-Type": "text/plain"}

    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def count_query(conn, cursor, statement, parameters, context, executemany):
            if g:
                g.query_count = g.get("query_count", 0) + 1

    @app.after_request
    def query_count_header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response
