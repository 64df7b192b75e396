"""Full page or fragment from one URL (jinja2-fragments), and the ``Vary`` header."""

from __future__ import annotations

from flask import Flask, render_template, request
from jinja2_fragments.flask import render_block, render_blocks


def is_partial() -> bool:
    """An htmx request that wants a fragment, not a boosted or history request."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
        and headers.get("HX-Request-Type", "partial") == "partial"
    )


def render_page_or_block(template: str, block: str | list[str], status: int = 200, **context):
    """The whole page for a normal request, the named block(s) for an htmx partial."""
    if is_partial():
        if isinstance(block, list):
            return render_blocks(template, block, **context), status
        return render_block(template, block, **context), status
    return render_template(template, **context), status


def init_app(app: Flask) -> None:
    @app.after_request
    def vary_on_htmx(response):
        if response.mimetype == "text/html":
            response.vary.add("HX-Request")
        return response
