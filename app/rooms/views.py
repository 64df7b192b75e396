"""The coordinator's side of rooms: settings, closures, series, the approval queue."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rooms", __name__)
