"""Mes messages: what the app or the coordination told the person."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_login import login_required

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
        return render_template("messages/inbox.html", messages=messages, new=new)

    if not new:
        return show()
    return perform(
        lambda: services.mark_read(g.membership, messages), lock=False, page=show, success=show
    )
