"""Proxies and the voting desk (issue 9, points 5 and 6).

- ``/votes/proxies``: give a proxy (to whom, for which vote or period, the consequence said
  before), revoke one, and vote with the ones held;
- ``/votes/<id>/proxy/<principal_id>``: the holder votes for one principal: the question,
  the review (``GET …/ballot?choice=``), the confirmation (``POST …/ballot`` → 303 to the
  receipt), each proxy separately, with the principal's name on every step;
- ``/votes/<id>/desk``: the committee or the coordinator records paper ballots or a show of
  hands (by name for a public vote, as a batch for a secret one).

Every page works without JavaScript: plain GET links and POST forms answered with 303.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask_login import login_required
from werkzeug.routing import BuildError
from wtforms.fields.choices import SelectChoice

from app.core.actions import perform
from app.core.db import utcnow
from app.core.forms import EmptyForm, parse_id
from app.core.i18n import gettext as _
from app.core.permissions import Role, require_role
from app.core.tenancy import get_in_residence_or_404
from app.core.timeutils import Period
from app.residences.models import Membership
from app.residences.services import active_members
from app.votes import proxies as service
from app.votes import services as votes
from app.votes.models import Channel, Proxy, Vote
from app.votes.proxy_forms import (
    PERIOD,
    DeskBallotForm,
    GiveProxyForm,
    ProxyBallotForm,
    desk_batch_form,
)

bp = Blueprint("vote_desk", __name__)


def vote_url(vote: Vote) -> str:
    """The vote's own page (built by the votes' pages; a plain path until they exist)."""
    try:
        return url_for("votes.detail", vote_id=vote.id)
    except BuildError:
        return f"/votes/{vote.id}"


def votes_url() -> str:
    try:
        return url_for("votes.index")
    except BuildError:
        return "/votes"


def _options(vote: Vote) -> list[tuple[str, str]]:
    return [(key, service.choice_label(_, key, vote)) for key in vote.option_keys]


def _person_label(member: Membership) -> str:
    if member.home is not None:
        return _("%(name)s (%(home)s)", name=member.user.full_name, home=member.home.label)
    return member.user.full_name


# ---------------------------------------------------------------------------------------
# My proxies


def _neighbours() -> list[Membership]:
    me = g.membership
    return [m for m in active_members(g.residence.id) if m.id != me.id and m.role in votes.VOTERS]


def _vote_label(vote: Vote) -> str:
    return _(
        "Le vote « %(title)s », jusqu'au %(when)s",
        title=vote.proposal.title,
        when=request_tw().moment(vote.closes_at),
    )


def request_tw():
    from app.core.timewords import request_words

    return request_words()


def _held_now(now) -> list[tuple[Vote, list[service.ProxyState]]]:
    """For each vote open now, the proxies held that may be used in it."""
    open_votes = [v for v in service.votes_for_proxies(g.residence.id, now) if v.is_open(now)]
    rows = []
    for vote in open_votes:
        states = service.proxy_states(g.membership, vote, now)
        if states:
            rows.append((vote, states))
    return rows


def _proxies_page(form: GiveProxyForm | None = None):
    now = utcnow()
    me = g.membership
    if form is None:
        form = GiveProxyForm(formdata=None)
    _fill_give_form(form, now)
    held = _held_now(now)
    given = service.proxies_given(me, now)
    return render_template(
        "votes/proxies/index.html",
        form=form,
        given=given,
        served={p.id: _served_words(p) for p in given if p.vote is not None},
        holding=service.proxies_holding(me, now),
        held=held,
        limit=g.residence.proxy_limit,
        revoke_form=EmptyForm(),
        scope_words=service.scope_words,
        state_words=_state_words,
        vote_url=vote_url,
        votes_url=votes_url(),
        can_give=me.role in votes.VOTERS and g.residence.proxy_limit > 0,
    )


def _fill_give_form(form: GiveProxyForm, now) -> None:
    form.holder.set_objects(_neighbours(), _person_label, empty=_("Choisir une personne"))
    form.set_votes(service.votes_for_proxies(g.residence.id, now), _vote_label)


def _served_words(proxy: Proxy) -> str | None:
    """For the principal: whether their proxy for one vote has served (None: not yet)."""
    counted = service.participation_of(proxy.vote, proxy.principal)
    if counted is None:
        return None
    if counted.channel == Channel.PROXY and counted.cast_by_id == proxy.holder_id:
        return _(
            "%(name)s a voté pour vous avec cette procuration, au vote « %(title)s ».",
            name=proxy.holder.user.full_name,
            title=proxy.vote.proposal.title,
        )
    return _(
        "Votre voix est déjà comptée au vote « %(title)s » : la procuration ne sert plus.",
        title=proxy.vote.proposal.title,
    )


def _state_words(state: service.ProxyState, vote: Vote) -> str | None:
    """Why the holder cannot vote for this principal any more (None: they can)."""
    if state.participation is None:
        return None
    if state.by_me:
        if vote.secret:
            return _("Vous avez voté pour %(name)s.", name=state.principal.user.full_name)
        return None
    return service.already_counted_reason(vote, state.principal, state.participation, g.membership)


@bp.get("/votes/proxies")
@login_required
def proxies():
    return _proxies_page()


@bp.post("/votes/proxies")
@login_required
def give():
    form = GiveProxyForm()
    now = utcnow()
    _fill_give_form(form, now)
    tz = g.residence.tz

    def run():
        holder = None
        if form.holder.data is not None:
            holder = next((m for m in _neighbours() if m.id == form.holder.data), None)
        vote, period = None, None
        if form.scope.data == PERIOD:
            span = Period.days(form.first_day.data, form.last_day.data, tz)
            period = (span.start, span.end)
        else:
            vote = get_in_residence_or_404(Vote, form.vote_id)
        return service.give_proxy(g.membership, holder, vote=vote, period=period, now=now)

    return perform(
        run,
        form=form,
        fields={"until": "last_day"},
        page=lambda _error: _proxies_page(form),
        message=lambda proxy: _(
            "C'est fait : %(name)s peut voter à votre place %(scope)s. %(name)s a reçu un message.",
            name=proxy.holder.user.full_name,
            scope=service.scope_words(request_tw(), proxy),
        ),
        success=lambda _proxy: url_for("vote_desk.proxies"),
    )


@bp.post("/votes/proxies/<int:proxy_id>/revoke")
@login_required
def revoke(proxy_id: int):
    proxy = get_in_residence_or_404(Proxy, proxy_id)
    return perform(
        lambda: service.revoke_proxy(g.membership, proxy, now=utcnow()),
        form=EmptyForm(),
        page=lambda _error: _proxies_page(),
        message=lambda p: _(
            "C'est fait : %(name)s ne peut plus voter à votre place. %(name)s a reçu un message.",
            name=p.holder.user.full_name,
        ),
        success=lambda _proxy: url_for("vote_desk.proxies"),
    )


# ---------------------------------------------------------------------------------------
# Voting for someone


def _load(vote_id: int, principal_id: int) -> tuple[Vote, Membership]:
    vote = get_in_residence_or_404(Vote, vote_id)
    principal = get_in_residence_or_404(Membership, principal_id)
    votes.refresh_status(vote, utcnow())
    return vote, principal


def _question_page(vote: Vote, principal: Membership, *, error=None, status: int = 200):
    now = utcnow()
    proxy = service.proxy_for(g.membership, principal, vote, now)
    existing = service.participation_of(vote, principal)
    reason = None
    current = None
    if existing is not None:
        reason = service.already_counted_reason(vote, principal, existing, g.membership)
        if reason is None:
            current = service.public_choice(vote, existing)
    if proxy is None and reason is None:
        reason = _(
            "Vous n'avez pas (ou plus) de procuration de %(name)s pour ce vote.",
            name=principal.user.full_name,
        )
    elif not vote.is_open(now) and reason is None:
        reason = str(votes.VoteNotOpen.default_message)
    return render_template(
        "votes/proxies/vote.html",
        vote=vote,
        principal=principal,
        reason=reason,
        current=current,
        options=_options(vote),
        settings=votes.settings_words(request_tw(), vote),
        vote_url=vote_url(vote),
        error=error,
    ), status


@bp.get("/votes/<int:vote_id>/proxy/<int:principal_id>")
@login_required
def proxy_vote(vote_id: int, principal_id: int):
    vote, principal = _load(vote_id, principal_id)
    return _question_page(vote, principal)


@bp.get("/votes/<int:vote_id>/proxy/<int:principal_id>/ballot")
@login_required
def proxy_review(vote_id: int, principal_id: int):
    vote, principal = _load(vote_id, principal_id)
    choice = request.args.get("choice", "")
    if choice not in vote.option_keys:
        return _question_page(
            vote, principal, error=_("Choisissez une des réponses proposées."), status=422
        )
    return render_template(
        "votes/proxies/review.html",
        vote=vote,
        principal=principal,
        choice=choice,
        choice_words=service.choice_label(_, choice, vote),
        form=ProxyBallotForm(formdata=None, choice=choice),
    )


@bp.post("/votes/<int:vote_id>/proxy/<int:principal_id>/ballot")
@login_required
def proxy_cast(vote_id: int, principal_id: int):
    vote, principal = _load(vote_id, principal_id)
    form = ProxyBallotForm()
    return perform(
        lambda: service.cast_by_proxy(
            g.membership, vote, principal, form.choice.data or "", now=utcnow()
        ),
        form=form,
        page=lambda error: _question_page(vote, principal)[0],
        success=lambda _row: url_for(
            "vote_desk.proxy_receipt", vote_id=vote.id, principal_id=principal.id
        ),
    )


@bp.get("/votes/<int:vote_id>/proxy/<int:principal_id>/receipt")
@login_required
def proxy_receipt(vote_id: int, principal_id: int):
    vote, principal = _load(vote_id, principal_id)
    when = service.proxy_cast_at(g.membership, vote, principal)
    existing = service.participation_of(vote, principal)
    mine = (
        existing is not None
        and existing.channel == Channel.PROXY
        and existing.cast_by_id == g.membership.id
    )
    return render_template(
        "votes/proxies/receipt.html",
        vote=vote,
        principal=principal,
        when=when if mine else None,
        vote_url=vote_url(vote),
    ), (200 if mine else 404)


# ---------------------------------------------------------------------------------------
# The desk


def _desk_page(vote: Vote, *, ballot_form=None, batch_form=None):
    now = utcnow()
    people = service.desk_people(vote)
    options = _options(vote)
    labels = dict(options)
    waiting = [p for p in people if p.counted is None]
    counted = [p for p in people if p.counted is not None]
    context = {
        "vote": vote,
        "open": vote.is_open(now),
        "waiting": waiting,
        "counted": counted,
        "labels": labels,
        "counted_words": service.counted_words,
        "channel_labels": service.CHANNEL_LABELS,
        "turnout": service.turnout_words(
            request_tw(), vote, len({p.key for p in counted}), votes.electorate_size(vote)
        ),
        "by_channel": _by_channel(counted),
        "vote_url": vote_url(vote),
    }
    # The way chosen last stays chosen (a show of hands is recorded one after the other).
    last = _channel(request.args.get("channel")) or Channel.PAPER
    if vote.secret:
        form = batch_form or desk_batch_form(options, formdata=None, channel=last.value)
        form.people.choices = [SelectChoice(p.member.id, _person_label(p.member)) for p in waiting]
        context["batch_form"] = form
    else:
        form = ballot_form or DeskBallotForm(formdata=None, channel=last.value)
        pickable = [p for p in people if p.counted is None or p.at_desk]
        form.person.set_objects(
            pickable,
            lambda p: (
                _person_label(p.member)
                if not p.at_desk
                else _(
                    "%(name)s — déjà compté : %(choice)s, à corriger",
                    name=_person_label(p.member),
                    choice=labels.get(p.choice, p.choice),
                )
            ),
            key=lambda p: p.member.id,
            empty=_("Choisir une personne"),
        )
        form.choice.choices = [SelectChoice(k, label) for k, label in options]
        context["ballot_form"] = form
    return render_template("votes/desk/index.html", **context)


def _by_channel(counted: list[service.DeskPerson]) -> list[str]:
    """« 5 en ligne », « 2 par procuration »… (each voice once: a home's, or a person's)."""
    channels = {p.key: p.counted.channel for p in counted}
    return [
        _("%(num)d %(how)s", num=n, how=service.CHANNEL_LABELS[channel])
        for channel in Channel
        if (n := sum(1 for c in channels.values() if c == channel))
    ]


def _channel(value) -> Channel | None:
    return next((c for c in service.DESK_CHANNELS if c.value == value), None)


def _desk_vote(vote_id: int) -> Vote:
    vote = get_in_residence_or_404(Vote, vote_id)
    votes.refresh_status(vote, utcnow())
    return vote


@bp.get("/votes/<int:vote_id>/desk")
@require_role(Role.COMMITTEE)
def desk(vote_id: int):
    return _desk_page(_desk_vote(vote_id))


@bp.post("/votes/<int:vote_id>/desk/ballot")
@require_role(Role.COMMITTEE)
def desk_ballot(vote_id: int):
    vote = _desk_vote(vote_id)
    form = DeskBallotForm()
    form.choice.choices = [SelectChoice(k, label) for k, label in _options(vote)]
    person = None
    if form.person.data is not None:
        person = get_in_residence_or_404(Membership, form.person.data)
        form.person.choices = [SelectChoice(str(person.id), "")]
    else:
        form.person.choices = [SelectChoice("", "")]
    channel = _channel(form.channel.data)

    return perform(
        lambda: service.record_desk_ballot(
            g.membership, vote, person, form.choice.data, channel=channel, now=utcnow()
        ),
        form=form,
        page=lambda _error: _desk_page(vote, ballot_form=form),
        message=lambda _row: _(
            "Enregistré : %(name)s, %(choice)s (%(how)s).",
            name=person.user.full_name,
            choice=service.choice_label(_, form.choice.data, vote),
            how=service.CHANNEL_LABELS[channel],
        ),
        success=lambda _row: url_for("vote_desk.desk", vote_id=vote.id, channel=channel.value),
    )


@bp.post("/votes/<int:vote_id>/desk/batch")
@require_role(Role.COMMITTEE)
def desk_batch(vote_id: int):
    vote = _desk_vote(vote_id)
    form = desk_batch_form(_options(vote))
    ids = [parse_id(i) for i in (form.people.data or [])]
    people = [get_in_residence_or_404(Membership, i) for i in dict.fromkeys(ids) if i]
    form.people.choices = [SelectChoice(p.id, "") for p in people]
    channel = _channel(form.channel.data)

    return perform(
        lambda: service.record_desk_batch(
            g.membership, vote, people, form.counts, channel=channel, now=utcnow()
        ),
        form=form,
        page=lambda _error: _desk_page(vote, batch_form=form),
        message=lambda batch: _(
            "Enregistré : %(count)s (%(how)s). Les personnes cochées sont comptées.",
            count=request_tw().ngettext("%(num)d bulletin", "%(num)d bulletins", batch.size),
            how=service.CHANNEL_LABELS[batch.channel],
        ),
        success=lambda batch: url_for(
            "vote_desk.desk", vote_id=vote.id, channel=batch.channel.value
        ),
    )
