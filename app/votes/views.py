"""The votes: the resident's list, a vote's page (the question, its settings in plain words,
then the buttons), the review step, casting (DESIGN §5), the receipt, the result; the
committee's page to put a proposal to the vote, open it now or close it early.

Casting: ``GET /votes/<id>/ballot?choice=pour`` is the review step; the confirming form
POSTs ``choice`` to the same URL and answers 303 to the receipt when counted. A refusal
(a second secret ballot, a vote not open, someone outside the electorate, an unknown
choice) answers 409 or 422 with the page saying why, and counts nothing. With htmx, the
ballot part of the page is swapped, the next button focused and the result announced.

A vote whose closing time has passed is closed by whoever reads it first: the pages that
find one run ``refresh_status`` through the action runner, which commits it once.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, make_response, request, session, url_for
from flask_login import login_required

from app.core.actions import perform
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.forms import EmptyForm, parse_id
from app.core.htmx import render_page_or_block
from app.core.i18n import gettext as _
from app.core.pagecache import cached_page, valid_until
from app.core.permissions import Role, has_role, require_role
from app.core.tenancy import get_in_residence_or_404
from app.core.timewords import request_words
from app.votes import proxies, services
from app.votes.forms import (
    ELECTORATE_LABELS,
    MAJORITY_LABELS,
    BallotForm,
    QuestionForm,
    VoteForm,
    labels_of,
)
from app.votes.models import ChangeKind, Proposal, Vote

bp = Blueprint("votes", __name__, url_prefix="/votes")

RECEIPTS = "vote_receipts"  # session key: vote id -> when the ballot was counted (ISO, UTC)
KEPT_RECEIPTS = 10


def _settled(votes: list[Vote], now: dt.datetime, render):
    """Render, after closing the votes whose time has passed (the first reader does). The
    page kept in memory is not given once one of them opens or closes."""
    valid_until(min((t for v in votes for t in (v.opens_at, v.closes_at) if t > now), default=None))
    due = [vote for vote in votes if services.needs_closing(vote, now)]
    if not due:
        return render()

    def close_all():
        for vote in due:
            services.refresh_status(vote, now)

    return perform(
        close_all,
        page=lambda _error: render(),
        success=lambda _result: make_response(render()),
        lock=True,
    )


# ---------------------------------------------------------------------------------------
# The list


@bp.get("")
@cached_page
@login_required
def index():
    """Open votes first (what to do, by when), then the coming ones, then the closed ones
    with their verdict in one line. The committee also sees the proposals ready for a vote."""
    now = utcnow()
    votes = services.residence_votes(g.residence.id)

    def render():
        open_votes = sorted((v for v in votes if v.is_open(now)), key=lambda v: v.closes_at)
        upcoming = sorted(
            (v for v in votes if not v.is_closed(now) and v.opens_at > now),
            key=lambda v: v.opens_at,
        )
        closed = sorted(
            (v for v in votes if v.is_closed(now)),
            key=lambda v: v.closed_at or v.closes_at,
            reverse=True,
        )
        tw = request_words()
        outcomes = services.results_of(closed)
        return render_page_or_block(
            "votes/index.html",
            "vote_list",
            open_votes=open_votes,
            upcoming=upcoming,
            closed=closed,
            verdicts={i: services.summary(tw, o) for i, o in outcomes.items()},
            voted=services.voted_in(g.membership, open_votes),
            eligible={v.id for v in votes if services.in_electorate(g.membership, v)},
            ready=(services.proposals_ready(g.residence.id) if has_role(Role.COMMITTEE) else []),
            now=now,
        )[0]

    return _settled(votes, now, render)


# ---------------------------------------------------------------------------------------
# A vote's page


def get_vote(vote_id: int) -> Vote:
    return get_in_residence_or_404(Vote, vote_id, query=services.page_query())


def _vote_context(vote: Vote, now: dt.datetime) -> dict:
    tw = request_words()
    member = g.membership
    eligible = services.in_electorate(member, vote)
    participation = services.participation_of(member, vote) if eligible else None
    size = services.electorate_size(vote)
    labels = labels_of(vote)
    context = {
        "vote": vote,
        "proposal": vote.proposal,
        "now": now,
        "is_open": vote.is_open(now),
        "is_closed": vote.is_closed(now),
        "eligible": eligible,
        "participation": participation,
        "by_my_home": participation is not None and participation.membership_id != member.id,
        "ballot": services.ballot_of(member, vote) if participation is not None else None,
        "settings": services.settings_words(tw, vote, size),
        "choices": [(key, labels.get(key, key)) for key in vote.option_keys],
        "labels": labels,
        "outcome": None,
        "verdict": None,
        "weak": False,
        "is_committee": has_role(Role.COMMITTEE),
        "electorate_label": ELECTORATE_LABELS[vote.electorate],
    }
    if services.results_visible(vote, now):
        outcome = services.result(vote)
        context["outcome"] = outcome
        if vote.is_closed(now):
            context["verdict"] = services.summary(tw, outcome)
            context["weak"] = services.secrecy_is_weak(vote, outcome)
    if not context["is_closed"]:
        context["weak"] = services.weak_secrecy_ahead(vote, size)
    context["held"] = proxies.proxy_states(member, vote, now) if context["is_open"] else []
    return context


@bp.get("/<int:vote_id>")
@cached_page
@login_required
def detail(vote_id: int):
    vote = get_vote(vote_id)
    now = utcnow()
    return _settled(
        [vote],
        now,
        lambda: render_page_or_block(
            "votes/detail.html", ["ballot", "live_status"], **_vote_context(vote, now)
        )[0],
    )


# ---------------------------------------------------------------------------------------
# Casting: the review step, the ballot, the receipt


def _review_page(vote: Vote, choice: str, error: DomainError | None = None, form=None):
    now = utcnow()
    context = _vote_context(vote, now)
    label = labels_of(vote).get(choice)
    if label is not None and vote.is_question and choice in vote.choice_words:
        # The committee's words, quoted: "Vous votez « Jeudi ». Confirmer ?"
        label = _("« %(choice)s »", choice=label)
    return render_page_or_block(
        "votes/review.html",
        ["ballot", "live_status"],
        choice=choice,
        choice_label=label,
        status_message=(
            error.message if error else _("Vous votez %(choice)s. Confirmer ?", choice=label)
        ),
        error=error,
        form=form or BallotForm(choice=choice),
        **context,
    )[0]


@bp.route("/<int:vote_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(vote_id: int):
    """GET: "Vous votez Pour. Confirmer ?" (``choice`` in the query). POST: cast it."""
    vote = get_vote(vote_id)
    now = utcnow()
    if request.method == "GET":
        choice = request.args.get("choice", "")
        if not choice:
            return make_response("", 303, {"Location": url_for("votes.detail", vote_id=vote.id)})

        def review():
            try:
                services.check_ballot(g.membership, vote, choice, now=now)
            except DomainError as error:
                return make_response(_review_page(vote, choice, error), error.status_code)
            return make_response(_review_page(vote, choice))

        return _settled([vote], now, review)
    form = BallotForm()
    choice = form.choice.data or ""

    def counted(_result):
        receipts = dict(session.get(RECEIPTS, {}))
        receipts.pop(str(vote.id), None)
        receipts[str(vote.id)] = now.isoformat()
        session[RECEIPTS] = dict(list(receipts.items())[-KEPT_RECEIPTS:])
        return url_for("votes.receipt", vote_id=vote.id)

    return perform(
        lambda: services.cast(g.membership, vote, choice, now=now),
        form=form,
        # No choice sent at all: the form's error, said as the service says it.
        page=lambda error: _review_page(vote, choice, error or services.UnknownChoice(), form),
        success=counted,
    )


@bp.get("/<int:vote_id>/receipt")
@login_required
def receipt(vote_id: int):
    """ "Votre vote est enregistré", with the time. A secret vote's choice is never said
    here: it is stored nowhere next to the person, and a receipt that said it would tell
    whoever picks up a shared tablet. A public vote's choice is public anyway."""
    vote = get_vote(vote_id)
    now = utcnow()
    if not services.in_electorate(g.membership, vote):
        return make_response("", 303, {"Location": url_for("votes.detail", vote_id=vote.id)})
    participation = services.participation_of(g.membership, vote)
    if participation is None:
        return make_response("", 303, {"Location": url_for("votes.detail", vote_id=vote.id)})
    when = session.get(RECEIPTS, {}).get(str(vote.id))
    cast_at = dt.datetime.fromisoformat(when) if when else None
    ballot = services.ballot_of(g.membership, vote)
    if ballot is not None:
        cast_at = ballot.cast_at
    return render_page_or_block(
        "votes/receipt.html",
        ["ballot", "live_status"],
        vote=vote,
        proposal=vote.proposal,
        cast_at=cast_at,
        ballot=ballot,
        labels=labels_of(vote),
        mine=participation.membership_id == g.membership.id,
        is_open=vote.is_open(now),
        status_message=_("Votre vote est enregistré."),
    )[0]


# ---------------------------------------------------------------------------------------
# The committee: put a proposal to the vote, open now, close early


def _vote_form(proposal: Proposal) -> VoteForm:
    """A question's form offers its choices and no majority; any other proposal's, Pour /
    Contre / Je m'abstiens and the majorities."""
    return QuestionForm() if proposal.change == ChangeKind.QUESTION else VoteForm()


def _new_page(form: VoteForm, proposal: Proposal, review: list[str] | None = None):
    return render_page_or_block(
        "votes/new.html",
        "vote_form",
        form=form,
        proposal=proposal,
        presets=services.PRESETS,
        review=review,
        majority_labels=MAJORITY_LABELS,
    )[0]


def _settings_words(form: VoteForm, proposal: Proposal) -> list[str] | None:
    """The settings typed, in the words voters will read (nothing saved)."""
    try:
        settings = form.settings(g.residence.tz)
    except (TypeError, ValueError):
        return None
    draft = Vote(
        residence_id=proposal.residence_id,
        proposal_id=proposal.id,
        electorate=settings.electorate,
        opens_at=settings.opens_at,
        closes_at=settings.closes_at,
        options=",".join(settings.options),
        labels=list(settings.labels) if settings.labels else None,
        quorum_percent=settings.quorum_percent,
        majority=settings.majority,
        abstentions_cast=settings.abstentions_cast,
        secret=settings.secret,
        results_hidden=settings.results_hidden,
    )
    tw = request_words()
    return [
        _("Ouverture : %(moment)s.", moment=tw.moment(settings.opens_at)),
        _("Clôture : %(moment)s.", moment=tw.moment(settings.closes_at)),
        *services.settings_words(tw, draft),
    ]


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.COMMITTEE)
def new():
    """``?proposal=<id>``: the settings, from a preset (``?preset=``), adjusted; shown back
    in plain words; then confirmed."""
    proposal_id = parse_id(request.args.get("proposal"))
    if proposal_id is None:
        abort(404)
    proposal = get_in_residence_or_404(Proposal, proposal_id)
    form = _vote_form(proposal)
    if not form.is_submitted():
        name = request.args.get("preset", "charte")
        if name not in services.PRESETS:
            name = "charte"
        form.fill(name, utcnow(), g.residence.tz)
        return _new_page(form, proposal)
    if not form.confirmed.data:
        if not form.validate():
            return make_response(_new_page(form, proposal), 422)
        form.confirmed.data = "1"
        return _new_page(form, proposal, review=_settings_words(form, proposal))
    return perform(
        lambda: services.create_vote(g.membership, proposal, form.settings(g.residence.tz)),
        form=form,
        page=lambda _error: _new_page(form, proposal),
        message=_("La proposition est mise au vote."),
        success=lambda vote: url_for("votes.detail", vote_id=vote.id),
    )


def _committee_action(vote_id: int, act, message: str):
    """Open now or close early: the committee's buttons on a vote's page."""
    vote = get_vote(vote_id)
    now = utcnow()
    return perform(
        lambda: act(g.membership, vote, now=now),
        form=EmptyForm(),
        page=lambda _error: render_page_or_block(
            "votes/detail.html", ["ballot", "live_status"], **_vote_context(vote, now)
        )[0],
        message=message,
        success=lambda _vote: url_for("votes.detail", vote_id=vote.id),
    )


@bp.post("/<int:vote_id>/open")
@require_role(Role.COMMITTEE)
def open_now(vote_id: int):
    return _committee_action(vote_id, services.open_vote, _("Le vote est ouvert."))


@bp.post("/<int:vote_id>/close")
@require_role(Role.COMMITTEE)
def close_now(vote_id: int):
    return _committee_action(
        vote_id, services.close_vote, _("Le vote est clos : voici le résultat.")
    )
