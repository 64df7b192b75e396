"""Home page, health check, and the sections later issues fill in (clearly marked)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, g, render_template
from flask_login import current_user, login_required

from app.activities import services as activities
from app.bookings import services as bookings
from app.core.db import database_answers, utcnow
from app.core.i18n import lazy_gettext as _l
from app.core.pagecache import cached_page, valid_until
from app.core.permissions import Role, has_role
from app.core.timeutils import Period, local_today
from app.residents import services as residents
from app.votes import services as votes

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
    "activities": "activities.index",
    "votes": "votes.index",
    "charter": "charter.index",
}
SECTION_TEXT = {
    "rooms": _l("Réserver la salle commune, la chambre d'amis ou la laverie."),
    "activities": _l("S'inscrire au jardin partagé, à la gym douce et aux sorties."),
    "votes": _l("Proposer une règle de vie et voter avec les autres habitants."),
    "charter": _l("Les règles de la maison, adoptées ensemble."),
}


@bp.get("/healthz")
def healthz():
    options = current_app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    if not database_answers(pinged_at_checkout=bool(options.get("pool_pre_ping"))):
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/")
@cached_page
@login_required
def home():
    if has_role(Role.COORDINATOR):
        return coordinator_home()
    now = utcnow()
    residence_id = g.residence.id if g.residence else None
    coming, open_votes = [], []
    if residence_id is not None:
        today = local_today(g.residence.tz, now)
        two_days = Period.days(today, today + dt.timedelta(days=1), g.residence.tz)
        coming = activities.programme(residence_id, start=two_days.start, end=two_days.end)
        open_votes = [
            vote
            for vote in votes.open_votes(residence_id, now)
            if votes.in_electorate(g.membership, vote)
        ]
        # A vote may close at any second (opened "now", for a preset's length).
        valid_until(min((vote.closes_at for vote in open_votes), default=None))
    return render_template(
        "pages/home.html",
        next_bookings=bookings.upcoming_bookings(g.membership, limit=3),
        activities=coming,
        places=activities.places_of(coming, g.membership),
        open_votes=open_votes,
        voted=votes.voted_in(g.membership, open_votes),
        now=now,
        sections=SECTIONS,
        section_text=SECTION_TEXT,
        section_endpoints=SECTION_ENDPOINTS,
        user=current_user,
    )


# How many of each the coordinator's home lists (the counts are whole).
FIRST_REQUESTS, FIRST_INVITATIONS = 3, 10


def coordinator_home():
    """The coordinator's day: the requests to answer, today's and tomorrow's bookings and
    closures, today's and tomorrow's activities with their sign-ups, the watering slots of
    the next three days that nobody will water, the open votes, the invitations not used
    yet."""
    now = utcnow()
    today = local_today(g.residence.tz, now)
    two_days = Period.days(today, today + dt.timedelta(days=1), g.residence.tz)
    coming = activities.programme(g.residence.id, start=two_days.start, end=two_days.end)
    requests, first_requests = bookings.requests_to_answer(
        g.membership, now=now, limit=FIRST_REQUESTS
    )
    invitations, first_invitations = residents.waiting_invitations(
        current_user, g.residence, now=now, limit=FIRST_INVITATIONS
    )
    open_votes = votes.open_votes(g.residence.id, now)
    # An invitation expires, a vote closes, at any second (made "now", for a length).
    moments = [w.invitation.expires_at for w in first_invitations if not w.expired]
    valid_until(min([*moments, *(vote.closes_at for vote in open_votes)], default=None))
    return render_template(
        "pages/coordination.html",
        now=now,
        requests=requests,
        first_requests=first_requests,
        days=bookings.days_ahead(g.membership, days=2, now=now),
        activities=coming,
        places=activities.places_of(coming),
        today=today,
        empty_slots=activities.empty_soon(g.residence, today, now=now),
        open_votes=open_votes,
        invitations=invitations,
        first_invitations=first_invitations,
        user=current_user,
    )
