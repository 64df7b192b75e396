"""Home page, health check, and the sections later issues fill in (clearly marked)."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_login import current_user, login_required

from app.bookings import services as bookings
from app.core.db import database_answers, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, has_role
from app.residents import services as residents

bp = Blueprint("pages", __name__)

# Home page cards: section key → (endpoint, title).
SECTIONS = {
    "rooms": _l("Salles"),
    "activities": _l("Activités"),
    "votes": _l("Votes"),
    "charter": _l("Charte de vie"),
}
SECTION_ENDPOINTS = {
    "rooms": "rooms.index",
    "activities": "pages.activities",
    "votes": "pages.votes",
    "charter": "pages.charter",
}
SECTION_TEXT = {
    "rooms": _l("Réserver la salle commune, la chambre d'amis ou la laverie."),
    "activities": _l("S'inscrire au jardin partagé, à la gym douce et aux sorties."),
    "votes": _l("Proposer une règle de vie et voter avec les autres habitants."),
    "charter": _l("Les règles de la maison, adoptées ensemble."),
}


@bp.get("/healthz")
def healthz():
    if not database_answers():
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/")
@login_required
def home():
    pending = None
    if has_role(Role.COORDINATOR):
        pending = residents.count_not_activated(g.residence.id)
    return render_template(
        "pages/home.html",
        next_bookings=bookings.upcoming_bookings(g.membership, limit=3),
        now=utcnow(),
        pending_invitations=pending,
        sections=SECTIONS,
        section_text=SECTION_TEXT,
        section_endpoints=SECTION_ENDPOINTS,
        user=current_user,
    )


def _placeholder(section: str):
    return render_template(
        "pages/coming_soon.html",
        section=section,
        title=SECTIONS[section],
        text=SECTION_TEXT[section],
    )


@bp.get("/activities")
@login_required
def activities():
    return _placeholder("activities")


@bp.get("/votes")
@login_required
def votes():
    return _placeholder("votes")


@bp.get("/charter")
@login_required
def charter():
    return _placeholder("charter")
