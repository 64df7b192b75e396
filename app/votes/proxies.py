"""Proxies (procurations) and the voting desk (paper ballots, a show of hands): the other
ways than one's own phone to take part in a vote (issue 9, points 5 and 6).

**Proxies.** A resident (the principal) lets another eligible resident of the residence
(the holder) vote in their name, for one vote or for every vote open during a period. A
holder carries at most ``Residence.proxy_limit`` proxies at once (2 unless the residence
says otherwise). The holder casts each proxy vote separately, for the principal's
``voter_key``, with ``channel=PROXY``; the participation row names the holder as the one
who cast it (``cast_by_id``) and, for a secret vote, nothing links it to the choice. Who
counts first wins, and the database's unique constraint on (vote, voter_key) settles two at
once: a principal who votes before the holder is counted in person (the holder is told);
once the holder has voted for them, the principal cannot vote again. In a vote per home, a
proxy from any member of a home carries the home's one voice.

**The desk.** A committee member or the coordinator records, while the vote is open, the
ballots cast on paper or by a show of hands: by name for a public vote (one at a time; a
desk entry may be corrected at the desk), as a batch for a secret vote: counts per option
plus who took part, the counts adding up to the number of people. Someone already counted
(online, by proxy, at the desk, or their home) cannot be counted again; when a race lets
one through the form, the database refuses the entry, and a secret batch is refused whole,
so counts and participations stay equal. Every entry is in the audit log, never what a
secret ballot chose (for a batch: its size).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.core.audit import AuditEvent, record
from app.core.errors import Conflict, DomainError
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, check_role
from app.core.timewords import TimeWords
from app.extensions import db
from app.messages.services import send
from app.residences.models import Membership
from app.users.models import User
from app.votes.models import Ballot, Channel, Electorate, Participation, Proxy, Vote, VoteTally
from app.votes.services import (
    VOTERS,
    NotInElectorate,
    UnknownChoice,
    VoteNotOpen,
    _turnout,
    change_ballot,
    count,
    in_electorate,
    refresh_status,
    voter_key,
)

LONGEST_PERIOD = dt.timedelta(days=366)


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


# The words of the default options (the page's buttons, the messages).
CHOICE_WORDS = {"pour": N_("Pour"), "contre": N_("Contre"), "abstention": N_("Je m'abstiens")}

CHANNEL_LABELS = {
    Channel.ONLINE: _l("en ligne"),
    Channel.PAPER: _l("sur papier"),
    Channel.ROOM: _l("à main levée"),
    Channel.PROXY: _l("par procuration"),
}


def choice_label(tw_or_gettext, choice: str, vote: Vote | None = None) -> str:
    """An option's words: ``tw.gettext`` (a message) or ``gettext`` (a page); a question's
    choice in the committee's words, as written."""
    if vote is not None and choice in vote.choice_words:
        return vote.choice_words[choice]
    words = CHOICE_WORDS.get(choice)
    return tw_or_gettext(words) if words else choice


# ---------------------------------------------------------------------------------------
# Errors


class ProxyRefused(DomainError):
    """A rule of proxies says no (422)."""


class ProxyConflict(Conflict):
    """Someone already counted, a proxy gone meanwhile (409)."""


class NoSuchProxy(ProxyConflict):
    default_message = _l("Vous n'avez pas (ou plus) de procuration de cette personne pour ce vote.")


class DeskRefused(DomainError):
    """The desk's entry does not add up, or does not fit the vote (422)."""


# ---------------------------------------------------------------------------------------
# Proxies: which apply


def _open_or_upcoming(residence_id: int, now: dt.datetime):
    return sa.select(Vote).where(
        Vote.residence_id == residence_id, Vote.closed_at.is_(None), Vote.closes_at > now
    )


def votes_for_proxies(residence_id: int, now: dt.datetime) -> list[Vote]:
    """The votes open now or planned, for which a proxy may be given (soonest close first)."""
    return list(
        db.session.scalars(
            _open_or_upcoming(residence_id, now)
            .options(joinedload(Vote.proposal))
            .order_by(Vote.closes_at, Vote.id)
        )
    )


def _applying(vote: Vote | None, start: dt.datetime, end: dt.datetime):
    """Active proxies that would apply together with a new one: for a vote, those for the
    same vote and the periods overlapping it; for a period (``vote`` None), the periods and
    the votes overlapping it. Use with ``outerjoin(Vote, Proxy.vote_id == Vote.id)``."""
    periods = sa.and_(Proxy.vote_id.is_(None), Proxy.valid_from < end, Proxy.valid_until > start)
    if vote is not None:
        votes = Proxy.vote_id == vote.id
    else:
        votes = sa.and_(Proxy.vote_id.is_not(None), Vote.opens_at < end, Vote.closes_at > start)
    return sa.and_(Proxy.revoked_at.is_(None), sa.or_(votes, periods))


def _held(holder: Membership, vote: Vote | None, start: dt.datetime, end: dt.datetime) -> int:
    """How many voices ``holder`` would carry at most in one vote with a new proxy's span:
    for a vote, its own proxies and the periods over it; for a period, the periods over it
    and, of the votes within it, the one with most proxies."""
    periods = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Proxy)
        .where(
            Proxy.holder_id == holder.id,
            Proxy.revoked_at.is_(None),
            Proxy.vote_id.is_(None),
            Proxy.valid_from < end,
            Proxy.valid_until > start,
        )
    )
    per_vote = (
        sa.select(sa.func.count().label("n"))
        .select_from(Proxy)
        .join(Vote, Proxy.vote_id == Vote.id)
        .where(Proxy.holder_id == holder.id, Proxy.revoked_at.is_(None))
        .group_by(Proxy.vote_id)
    )
    if vote is not None:
        per_vote = per_vote.where(Proxy.vote_id == vote.id)
    else:
        per_vote = per_vote.where(
            Vote.closed_at.is_(None), Vote.opens_at < end, Vote.closes_at > start
        )
    most = db.session.scalar(sa.select(sa.func.max(per_vote.subquery().c.n)))
    return (periods or 0) + (most or 0)


def _for_vote_now(vote: Vote, now: dt.datetime):
    """Active proxies that let their holder vote in ``vote`` at ``now``."""
    return sa.and_(
        Proxy.revoked_at.is_(None),
        Proxy.residence_id == vote.residence_id,
        sa.or_(
            Proxy.vote_id == vote.id,
            sa.and_(Proxy.vote_id.is_(None), Proxy.valid_from <= now, Proxy.valid_until > now),
        ),
    )


def proxies_held(member: Membership, vote: Vote, now: dt.datetime) -> list[Proxy]:
    """The proxies ``member`` may use in ``vote`` now, one per principal, by name."""
    return list(
        db.session.scalars(
            sa.select(Proxy)
            .join(Membership, Proxy.principal_id == Membership.id)
            .join(User, Membership.user_id == User.id)
            .where(Proxy.holder_id == member.id, _for_vote_now(vote, now))
            .options(joinedload(Proxy.principal).joinedload(Membership.user))
            .order_by(User.full_name, Proxy.id)
        )
    )


def proxy_for(holder: Membership, principal: Membership, vote: Vote, now: dt.datetime):
    """The proxy that lets ``holder`` vote for ``principal`` in ``vote`` now, or None."""
    return db.session.scalar(
        sa.select(Proxy)
        .where(
            Proxy.holder_id == holder.id,
            Proxy.principal_id == principal.id,
            _for_vote_now(vote, now),
        )
        .order_by(Proxy.id)
        .limit(1)
    )


def proxies_given(member: Membership, now: dt.datetime) -> list[Proxy]:
    """``member``'s proxies still in force or to come (not revoked, not over)."""
    return list(
        db.session.scalars(
            sa.select(Proxy)
            .outerjoin(Vote, Proxy.vote_id == Vote.id)
            .where(Proxy.principal_id == member.id, _current())
            .where(_not_over(now))
            .options(joinedload(Proxy.holder).joinedload(Membership.user))
            .options(joinedload(Proxy.vote).joinedload(Vote.proposal))
            .order_by(Proxy.created_at, Proxy.id)
        )
    )


def proxies_holding(member: Membership, now: dt.datetime) -> list[Proxy]:
    """The proxies ``member`` holds, still in force or to come."""
    return list(
        db.session.scalars(
            sa.select(Proxy)
            .outerjoin(Vote, Proxy.vote_id == Vote.id)
            .where(Proxy.holder_id == member.id, _current())
            .where(_not_over(now))
            .options(joinedload(Proxy.principal).joinedload(Membership.user))
            .options(joinedload(Proxy.vote).joinedload(Vote.proposal))
            .order_by(Proxy.created_at, Proxy.id)
        )
    )


def _current():
    return Proxy.revoked_at.is_(None)


def _not_over(now: dt.datetime):
    return sa.or_(
        sa.and_(Proxy.vote_id.is_not(None), Vote.closed_at.is_(None), Vote.closes_at > now),
        sa.and_(Proxy.vote_id.is_(None), Proxy.valid_until > now),
    )


# ---------------------------------------------------------------------------------------
# Proxies: giving and revoking


def _lock(*members: Membership) -> None:
    """PostgreSQL: lock the rows of the people a proxy is about, in id order, so that two
    proxies given at once to one holder (or by one principal) are counted one after the
    other. (SQLite: the action runner's write lock does it.)"""
    db.session.execute(
        sa.select(Membership.id)
        .where(Membership.id.in_(sorted(m.id for m in members)))
        .order_by(Membership.id)
        .with_for_update()
    )


def give_proxy(
    actor: Membership,
    holder: Membership | None,
    *,
    vote: Vote | None = None,
    period: tuple[dt.datetime, dt.datetime] | None = None,
    now: dt.datetime,
) -> Proxy:
    """``actor`` (the principal) lets ``holder`` vote in their name in ``vote``, or in every
    vote open during ``period`` (UTC start and end). Both are told by message."""
    residence = actor.residence
    if actor.deactivated_at is not None or actor.role not in VOTERS:
        raise ProxyRefused(_l("Seuls les habitants qui votent peuvent donner une procuration."))
    if holder is None or holder.residence_id != actor.residence_id:
        raise ProxyRefused(_l("Choisissez la personne dans la liste."), field="holder")
    if holder.id == actor.id:
        raise ProxyRefused(_l("Choisissez une autre personne que vous-même."), field="holder")
    if holder.deactivated_at is not None or holder.role not in VOTERS:
        raise ProxyRefused(
            _l(
                "%(name)s ne peut pas voter dans la résidence : choisissez une autre personne.",
                name=holder.user.full_name,
            ),
            field="holder",
        )
    if (vote is None) == (period is None):
        raise ProxyRefused(_l("Choisissez un vote, ou une période."), field="scope")
    if residence.proxy_limit < 1:
        raise ProxyRefused(_l("Dans cette résidence, on ne peut pas donner de procuration."))
    if vote is not None:
        if vote.residence_id != actor.residence_id:
            raise ProxyRefused(_l("Choisissez un vote dans la liste."), field="scope")
        refresh_status(vote, now)
        if vote.is_closed(now):
            raise ProxyConflict(
                _l("Ce vote est clos : on ne peut plus donner de procuration pour lui."),
                field="scope",
            )
        if not in_electorate(actor, vote):
            raise NotInElectorate(field="scope")
        if not in_electorate(holder, vote):
            raise ProxyRefused(
                _l(
                    "%(name)s ne fait pas partie des votants de ce vote : choisissez une "
                    "autre personne.",
                    name=holder.user.full_name,
                ),
                field="holder",
            )
        if (
            vote.electorate == Electorate.HOMES
            and actor.home_id is not None
            and actor.home_id == holder.home_id
        ):
            raise ProxyRefused(
                _l(
                    "%(name)s vit dans votre foyer : dans ce vote, votre foyer n'a qu'une voix, "
                    "que l'un de vous peut donner.",
                    name=holder.user.full_name,
                ),
                field="holder",
            )
        start, end = max(vote.opens_at, now), vote.closes_at
    else:
        start, end = period
        start = max(start, now)
        if end <= start:
            raise ProxyRefused(
                _l("La fin de la période doit être après son début, et pas déjà passée."),
                field="until",
            )
        if end - start > LONGEST_PERIOD:
            raise ProxyRefused(_l("Une procuration dure au plus un an."), field="until")
    _lock(actor, holder)
    already = db.session.scalar(
        sa.select(Proxy)
        .outerjoin(Vote, Proxy.vote_id == Vote.id)
        .where(Proxy.principal_id == actor.id, _applying(vote, start, end))
        .limit(1)
    )
    if already is not None:
        raise ProxyConflict(
            _l(
                "Vous avez déjà donné une procuration à %(name)s pour ce moment : retirez-la "
                "d'abord si vous voulez en donner une autre.",
                name=already.holder.user.full_name,
            ),
            field="holder",
        )
    if _held(holder, vote, start, end) >= residence.proxy_limit:
        raise ProxyConflict(
            _l(
                "%(name)s a déjà %(num)d procurations pour ce moment, le plus permis dans la "
                "résidence : choisissez une autre personne.",
                name=holder.user.full_name,
                num=residence.proxy_limit,
            ),
            field="holder",
        )
    proxy = Proxy(
        residence_id=actor.residence_id,
        principal=actor,
        holder=holder,
        vote=vote,
        valid_from=None if vote is not None else start,
        valid_until=None if vote is not None else end,
        created_at=now,
    )
    db.session.add(proxy)
    db.session.flush()
    record("proxy.give", actor=actor, target=proxy, details=_scope_details(proxy))
    _tell(holder, proxy, _given_to_holder)
    _tell(actor, proxy, _given_to_principal)
    return proxy


def revoke_proxy(actor: Membership, proxy: Proxy, *, now: dt.datetime) -> Proxy:
    """The principal takes their proxy back. A proxy for one vote that has already served
    cannot be: that vote is counted. A period's proxy stops at once (votes it served stay)."""
    if proxy.principal_id != actor.id:
        raise ProxyRefused(_l("Seule la personne qui a donné la procuration peut la retirer."))
    if proxy.revoked_at is not None:
        return proxy
    _lock(actor)
    if proxy.vote_id is not None:
        used = db.session.scalar(
            sa.select(Participation.id).where(
                Participation.vote_id == proxy.vote_id,
                Participation.voter_key == voter_key(actor, proxy.vote),
                Participation.channel == Channel.PROXY,
                Participation.cast_by_id == proxy.holder_id,
            )
        )
        if used is not None:
            raise ProxyConflict(
                _l(
                    "%(name)s a déjà voté pour vous avec cette procuration : ce vote est "
                    "compté, la procuration ne peut plus être retirée.",
                    name=proxy.holder.user.full_name,
                )
            )
    proxy.revoked_at = now
    record("proxy.revoke", actor=actor, target=proxy)
    _tell(proxy.holder, proxy, _revoked_to_holder)
    _tell(actor, proxy, _revoked_to_principal)
    db.session.flush()
    return proxy


def withdraw_proxies_of(member: Membership, *, now: dt.datetime, actor=None) -> int:
    """``member`` leaves (account closed, departure recorded): the proxies they gave or hold
    that are not over stop now. Those of closed votes stay: they explain a count. Each
    person who had given one to ``member`` is told, without ``member``'s name (it is being
    erased). Returns how many stopped."""
    proxies = list(
        db.session.scalars(
            sa.select(Proxy)
            .outerjoin(Vote, Proxy.vote_id == Vote.id)
            .where(
                sa.or_(Proxy.principal_id == member.id, Proxy.holder_id == member.id),
                _current(),
                _not_over(now),
            )
            .order_by(Proxy.id)
        )
    )
    for proxy in proxies:
        proxy.revoked_at = now
        record("proxy.withdrawn", actor=actor, residence_id=proxy.residence_id, target=proxy)
        if proxy.holder_id == member.id:
            _tell(proxy.principal, proxy, _holder_left_to_principal)
    db.session.flush()
    return len(proxies)


def _scope_details(proxy: Proxy) -> str:
    who = f"principal={proxy.principal_id}; holder={proxy.holder_id}"
    if proxy.vote_id is not None:
        return f"{who}; vote={proxy.vote_id}"
    return f"{who}; from={proxy.valid_from.isoformat()}; until={proxy.valid_until.isoformat()}"


def scope_words(tw: TimeWords, proxy: Proxy) -> str:
    """What a proxy covers, in words: « pour le vote « Heures calmes » » or « pour les votes
    du lundi 7 décembre au dimanche 20 décembre »."""
    if proxy.vote is not None:
        return tw.gettext("pour le vote « %(title)s »", title=proxy.vote.proposal.title)
    last = proxy.valid_until - dt.timedelta(seconds=1)
    return tw.gettext("pour les votes %(dates)s", dates=tw.dates(proxy.valid_from, last))


def _tell(member: Membership, proxy: Proxy, compose) -> None:
    about = ("vote_desk.proxies", {})
    send(member, lambda tw: compose(tw, proxy), about=about)


def _given_to_holder(tw: TimeWords, proxy: Proxy):
    name = proxy.principal.user.full_name
    return (
        tw.gettext("%(name)s vous donne sa procuration", name=name),
        tw.gettext(
            "%(name)s vous a donné sa procuration %(scope)s : vous pouvez voter à sa place. "
            "Si %(name)s vote en personne avant vous, c'est son vote qui compte.",
            name=name,
            scope=scope_words(tw, proxy),
        ),
    )


def _given_to_principal(tw: TimeWords, proxy: Proxy):
    name = proxy.holder.user.full_name
    return (
        tw.gettext("Vous avez donné votre procuration à %(name)s", name=name),
        tw.gettext(
            "%(name)s peut voter à votre place %(scope)s. Vous pouvez toujours voter "
            "vous-même avant : c'est alors votre vote qui compte. Vous pouvez aussi retirer "
            "la procuration à tout moment, dans Mes procurations.",
            name=name,
            scope=scope_words(tw, proxy),
        ),
    )


def _revoked_to_holder(tw: TimeWords, proxy: Proxy):
    name = proxy.principal.user.full_name
    return (
        tw.gettext("%(name)s a retiré sa procuration", name=name),
        tw.gettext(
            "%(name)s a retiré la procuration qu'il ou elle vous avait donnée %(scope)s : "
            "vous ne pouvez plus voter à sa place.",
            name=name,
            scope=scope_words(tw, proxy),
        ),
    )


def _holder_left_to_principal(tw: TimeWords, proxy: Proxy):
    return (
        tw.gettext("Votre procuration ne vaut plus"),
        tw.gettext(
            "La personne à qui vous aviez donné votre procuration %(scope)s ne fait plus "
            "partie de la résidence : elle ne peut plus voter à votre place. Vous pouvez "
            "voter vous-même, ou donner votre procuration à quelqu'un d'autre.",
            scope=scope_words(tw, proxy),
        ),
    )


def _revoked_to_principal(tw: TimeWords, proxy: Proxy):
    name = proxy.holder.user.full_name
    return (
        tw.gettext("Vous avez retiré votre procuration à %(name)s", name=name),
        tw.gettext(
            "%(name)s ne peut plus voter à votre place %(scope)s.",
            name=name,
            scope=scope_words(tw, proxy),
        ),
    )


# ---------------------------------------------------------------------------------------
# Proxies: voting for someone


@dataclass
class ProxyState:
    """Where one proxy stands in one vote, for the holder's page."""

    proxy: Proxy
    principal: Membership
    participation: Participation | None

    @property
    def counted(self) -> bool:
        return self.participation is not None

    @property
    def by_me(self) -> bool:
        p = self.participation
        return (
            p is not None
            and p.channel == Channel.PROXY
            and p.cast_by_id == self.proxy.holder_id
            and p.membership_id == self.principal.id
        )


def proxy_states(holder: Membership, vote: Vote, now: dt.datetime) -> list[ProxyState]:
    """Each proxy ``holder`` may use in ``vote`` now, and whether its voice is counted."""
    proxies = proxies_held(holder, vote, now)
    keys = {voter_key(p.principal, vote) for p in proxies}
    counted = (
        {
            p.voter_key: p
            for p in db.session.scalars(
                sa.select(Participation).where(
                    Participation.vote_id == vote.id, Participation.voter_key.in_(keys)
                )
            )
        }
        if keys
        else {}
    )
    return [ProxyState(p, p.principal, counted.get(voter_key(p.principal, vote))) for p in proxies]


def already_counted_reason(
    vote: Vote, principal: Membership, existing: Participation, holder: Membership
) -> str | None:
    """Why ``holder`` cannot (or can no longer) vote for ``principal``, or None when the
    holder's own public proxy ballot may be changed."""
    name = principal.user.full_name
    if existing.channel == Channel.PROXY and existing.cast_by_id == holder.id:
        if existing.membership_id == principal.id and not vote.secret:
            return None
        if existing.membership_id == principal.id:
            return str(
                _l(
                    "Vous avez déjà voté pour %(name)s. Ce vote est secret : un vote confirmé "
                    "ne se change pas.",
                    name=name,
                )
            )
    if existing.membership_id != principal.id:
        return str(
            _l(
                "Le foyer de %(name)s a déjà voté : dans ce vote, chaque foyer a une seule voix.",
                name=name,
            )
        )
    if existing.channel == Channel.PROXY:
        return str(_l("%(name)s a déjà voté par une autre procuration.", name=name))
    return str(
        _l(
            "%(name)s a déjà voté en personne : c'est son vote qui compte, votre procuration "
            "ne sert plus pour ce vote.",
            name=name,
        )
    )


def cast_by_proxy(
    holder: Membership,
    vote: Vote,
    principal: Membership,
    choice: str,
    *,
    now: dt.datetime,
) -> Participation:
    """``holder`` votes ``choice`` in ``principal``'s name. The principal is told (the
    choice too, for a public vote only)."""
    refresh_status(vote, now)
    if not vote.is_open(now):
        raise VoteNotOpen.about(vote, now)
    if principal.residence_id != vote.residence_id:
        raise NoSuchProxy()
    proxy = proxy_for(holder, principal, vote, now)
    if proxy is None:
        raise NoSuchProxy()
    if not in_electorate(principal, vote):
        raise ProxyRefused(
            _l("%(name)s ne fait pas partie des votants de ce vote.", name=principal.user.full_name)
        )
    if not in_electorate(holder, vote):
        raise NotInElectorate()
    if choice not in vote.option_keys:
        raise UnknownChoice(field="choice")
    key = voter_key(principal, vote)
    existing = _participation(vote, key)
    if existing is not None:
        reason = already_counted_reason(vote, principal, existing, holder)
        if reason is not None:
            raise ProxyConflict(reason)
        change_ballot(vote, key, choice, now=now)
    else:
        try:
            count(vote, key, principal, choice, channel=Channel.PROXY, now=now, cast_by=holder)
        except DomainError:
            # Counted at the same moment (the principal in person, or their home).
            existing = _participation(vote, key)
            reason = existing and already_counted_reason(vote, principal, existing, holder)
            raise ProxyConflict(reason or _l("Ce vote vient d'être compté.")) from None
        existing = _participation(vote, key)
    record(
        "vote.proxy",
        actor=holder,
        target=vote,
        details=f"principal={principal.id}; proxy={proxy.id}"
        + ("" if vote.secret else f"; choice={choice}"),
    )
    send(
        principal,
        lambda tw: _used_to_principal(tw, vote, holder, None if vote.secret else choice),
        about=("vote_desk.proxies", {}),
    )
    return existing


def _used_to_principal(tw: TimeWords, vote: Vote, holder: Membership, choice: str | None):
    name = holder.user.full_name
    title = vote.proposal.title
    subject = tw.gettext("%(name)s a voté pour vous", name=name)
    if choice is None:
        body = tw.gettext(
            "%(name)s a voté pour vous avec votre procuration, au vote « %(title)s ». Le vote "
            "est secret : personne ne saura ce qui a été choisi.",
            name=name,
            title=title,
        )
    else:
        body = tw.gettext(
            "%(name)s a voté « %(choice)s » pour vous avec votre procuration, au vote "
            "« %(title)s ».",
            name=name,
            title=title,
            choice=choice_label(tw.gettext, choice, vote),
        )
    return subject, body


def participation_of(vote: Vote, member: Membership) -> Participation | None:
    """How ``member``'s voice (or their home's) was counted in ``vote``, if it was."""
    return _participation(vote, voter_key(member, vote))


def public_choice(vote: Vote, participation: Participation) -> str | None:
    """A public vote's choice for a participation (never for a secret vote: there is none)."""
    if vote.secret:
        return None
    return db.session.scalar(
        sa.select(Ballot.option).where(
            Ballot.vote_id == vote.id, Ballot.voter_key == participation.voter_key
        )
    )


def proxy_cast_at(holder: Membership, vote: Vote, principal: Membership) -> dt.datetime | None:
    """When ``holder`` last voted for ``principal`` in ``vote`` (for the receipt)."""
    return db.session.scalar(
        sa.select(AuditEvent.created_at)
        .where(
            AuditEvent.action == "vote.proxy",
            AuditEvent.target_type == "vote",
            AuditEvent.target_id == vote.id,
            AuditEvent.actor_id == holder.user_id,
            AuditEvent.details.startswith(f"principal={principal.id};"),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def _participation(vote: Vote, key: str) -> Participation | None:
    return db.session.scalar(
        sa.select(Participation).where(
            Participation.vote_id == vote.id, Participation.voter_key == key
        )
    )


# ---------------------------------------------------------------------------------------
# The desk: paper ballots and a show of hands


DESK_CHANNELS = (Channel.PAPER, Channel.ROOM)


@dataclass
class DeskPerson:
    """One person of the electorate, for the desk: counted already (how), or not."""

    member: Membership
    key: str
    counted: Participation | None = None
    choice: str | None = None  # a public desk ballot's choice, for corrections

    @property
    def name(self) -> str:
        return self.member.user.full_name

    @property
    def at_desk(self) -> bool:
        return (
            self.counted is not None
            and self.counted.channel in DESK_CHANNELS
            and self.counted.membership_id == self.member.id
        )


def desk_people(vote: Vote) -> list[DeskPerson]:
    """The electorate by name, each with how they were counted (if they were)."""
    query = sa.select(Membership).join(User, Membership.user_id == User.id)
    query = query.where(
        Membership.residence_id == vote.residence_id, Membership.deactivated_at.is_(None)
    )
    if vote.electorate == Electorate.COMMITTEE:
        query = query.where(Membership.role == Role.COMMITTEE)
    else:
        query = query.where(Membership.role.in_(VOTERS))
    members = db.session.scalars(
        query.options(joinedload(Membership.user), joinedload(Membership.home)).order_by(
            User.full_name, Membership.id
        )
    ).all()
    counted = {
        p.voter_key: p
        for p in db.session.scalars(
            sa.select(Participation).where(Participation.vote_id == vote.id)
        )
    }
    choices = {}
    if not vote.secret:
        choices = dict(
            db.session.execute(
                sa.select(Ballot.voter_key, Ballot.option).where(Ballot.vote_id == vote.id)
            ).all()
        )
    people = []
    for member in members:
        key = voter_key(member, vote)
        people.append(DeskPerson(member, key, counted.get(key), choices.get(key)))
    return people


def turnout_words(tw: TimeWords, vote: Vote, participation: int, electorate: int) -> str:
    """« 12 foyers sur 40 ont voté », as the result says it (never the counts: a secret
    vote's stay hidden until the close)."""
    return _turnout(
        tw,
        SimpleNamespace(
            participation=participation, electorate=electorate, electorate_kind=vote.electorate
        ),
    )


def counted_words(person: DeskPerson) -> str:
    """How someone was counted, in words: « a voté en ligne », « son foyer a voté »."""
    p = person.counted
    if p is None:
        return ""
    if p.membership_id != person.member.id:
        return str(_l("son foyer a déjà voté"))
    return str(_l("a voté %(how)s", how=CHANNEL_LABELS[p.channel]))


def _check_desk(actor: Membership, vote: Vote, channel: Channel, now: dt.datetime) -> None:
    check_role(actor, Role.COMMITTEE, vote.residence_id)
    refresh_status(vote, now)
    if not vote.is_open(now):
        raise VoteNotOpen.about(vote, now)
    if channel not in DESK_CHANNELS:
        raise DeskRefused(_l("Choisissez : sur papier, ou à main levée."), field="channel")


def record_desk_ballot(
    actor: Membership,
    vote: Vote,
    person: Membership | None,
    choice: str,
    *,
    channel: Channel,
    now: dt.datetime,
) -> Participation:
    """A public vote: ``person`` voted ``choice`` on paper or by a show of hands. A person
    already counted at the desk has their entry corrected; one counted otherwise (online,
    by proxy, their home) is refused with the reason."""
    _check_desk(actor, vote, channel, now)
    if vote.secret:
        raise DeskRefused(
            _l(
                "Ce vote est secret : enregistrez les bulletins en nombre, avec la liste de "
                "qui a voté."
            )
        )
    if person is None or person.residence_id != vote.residence_id:
        raise DeskRefused(_l("Choisissez la personne dans la liste."), field="person")
    if not in_electorate(person, vote):
        raise DeskRefused(
            _l("%(name)s ne fait pas partie des votants de ce vote.", name=person.user.full_name),
            field="person",
        )
    if choice not in vote.option_keys:
        raise UnknownChoice(field="choice")
    key = voter_key(person, vote)
    existing = _participation(vote, key)
    action = "vote.desk_ballot"
    if existing is not None:
        if existing.membership_id == person.id and existing.channel in DESK_CHANNELS:
            change_ballot(vote, key, choice, now=now)
            existing.channel, existing.cast_by_id = channel, actor.id
            action = "vote.desk_correct"
        else:
            raise ProxyConflict(_already(person, existing), field="person")
    else:
        try:
            count(vote, key, person, choice, channel=channel, now=now, cast_by=actor)
        except DomainError:
            existing = _participation(vote, key)
            raise ProxyConflict(
                _already(person, existing) if existing else _l("Ce vote vient d'être compté."),
                field="person",
            ) from None
        existing = _participation(vote, key)
    record(
        action,
        actor=actor,
        target=vote,
        details=f"member={person.id}; channel={channel.value}; choice={choice}",
    )
    db.session.flush()
    return existing


def _already(person: Membership, existing: Participation) -> str:
    name = person.user.full_name
    if existing.membership_id != person.id:
        return str(_l("Le foyer de %(name)s a déjà voté.", name=name))
    return str(_l("%(name)s a déjà voté %(how)s.", name=name, how=CHANNEL_LABELS[existing.channel]))


@dataclass
class Batch:
    size: int
    channel: Channel


def record_desk_batch(
    actor: Membership,
    vote: Vote,
    people: list[Membership],
    counts: dict[str, int],
    *,
    channel: Channel,
    now: dt.datetime,
) -> Batch:
    """A secret vote: a batch of paper ballots (or a show of hands) counted as ``counts``
    per option, cast by ``people``. The counts must add up to the number of people; anyone
    already counted makes the whole batch refused (nothing is recorded)."""
    _check_desk(actor, vote, channel, now)
    if not vote.secret:
        raise DeskRefused(_l("Ce vote est public : enregistrez chaque bulletin avec le nom."))
    if set(counts) - set(vote.option_keys) or any(n < 0 for n in counts.values()):
        raise DeskRefused(_l("Indiquez pour chaque réponse un nombre de bulletins."))
    if not people:
        raise DeskRefused(_l("Cochez les personnes qui ont voté."), field="people")
    total = sum(counts.values())
    if total != len(people):
        raise DeskRefused(
            _l(
                "Les bulletins comptés (%(total)d) doivent être aussi nombreux que les "
                "personnes cochées (%(num)d). Recomptez, puis corrigez.",
                total=total,
                num=len(people),
            ),
            field="people",
        )
    keys: dict[str, Membership] = {}
    for person in people:
        if person.residence_id != vote.residence_id or not in_electorate(person, vote):
            raise DeskRefused(
                _l(
                    "%(name)s ne fait pas partie des votants de ce vote.",
                    name=person.user.full_name,
                ),
                field="people",
            )
        key = voter_key(person, vote)
        if key in keys:
            raise DeskRefused(
                _l(
                    "%(first)s et %(second)s sont du même foyer : dans ce vote, chaque foyer a "
                    "une seule voix.",
                    first=keys[key].user.full_name,
                    second=person.user.full_name,
                ),
                field="people",
            )
        keys[key] = person
    _refuse_counted(vote, keys)
    try:
        with db.session.begin_nested():
            db.session.add_all(
                Participation(
                    vote_id=vote.id,
                    voter_key=key,
                    membership_id=person.id,
                    home_id=person.home_id if vote.electorate == Electorate.HOMES else None,
                    channel=channel,
                    cast_by_id=actor.id,
                )
                for key, person in keys.items()
            )
            db.session.flush()
    except sa.exc.IntegrityError:
        # Counted online (or by proxy) at the same moment: the whole batch is refused.
        _refuse_counted(vote, keys)
        raise ProxyConflict(
            _l("Quelqu'un vient d'être compté en même temps : recommencez.")
        ) from None
    by_option = {option: counts.get(option, 0) for option in vote.option_keys}
    db.session.execute(
        sa.update(VoteTally)
        .where(VoteTally.vote_id == vote.id)
        .values(count=VoteTally.count + sa.case(by_option, value=VoteTally.option, else_=0))
    )
    record(
        "vote.desk_batch",
        actor=actor,
        target=vote,
        details=f"channel={channel.value}; people={len(keys)}",
    )
    db.session.flush()
    return Batch(len(keys), channel)


def _refuse_counted(vote: Vote, keys: dict[str, Membership]) -> None:
    found = db.session.scalars(
        sa.select(Participation).where(
            Participation.vote_id == vote.id, Participation.voter_key.in_(list(keys))
        )
    ).all()
    if found:
        names = ", ".join(
            _already(keys[p.voter_key], p).rstrip(".") for p in sorted(found, key=lambda p: p.id)
        )
        raise ProxyConflict(
            _l(
                "Rien n'est enregistré : %(names)s. Décochez, retirez leurs bulletins du "
                "compte, puis recommencez.",
                names=names,
            ),
            field="people",
        )
