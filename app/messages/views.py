"""Mes messages: what the app or the coordination told the person."""

from __future__ import annotations

from flask import Blueprint, g, make_response, render_template, url_for
from flask_login import login_required
from werkzeug.routing import BuildError

from app.core.actions import perform
from app.messages import services

bp = Blueprint("messages", __name__, url_prefix="/messages")


@bp.get("")
@login_required
def inbox():
    """The latest messages, the new ones marked; seeing them here is reading them."""
    messages = services.inbox(g.membership)
    new = {message.id for message in messages if not message.is_read}

    def show(_result=None):
        links = {message.id: _url(message) for message in messages}
        page = render_template("messages/inbox.html", messages=messages, new=new, links=links)
        return make_response(page)  # the page itself (a string would be a URL to go to)

    if not new:
        return show()
    return perform(
        lambda: services.mark_read(g.membership, messages), lock=False, page=show, success=show
    )


def _url(message) -> str | None:
    """The page a message is about (None if it is gone from the app)."""
    if message.target is None:
        return None
    endpoint, values = message.target
    try:
        return url_for(endpoint, **values)
    except (BuildError, TypeError):
        return None
