"""Votes on the house rules: proposals, vote settings (from presets), casting, closing,
the result in one sentence, and the charter an adopted proposal changes at once.

Casting a secret ballot writes a participation row (who) and adds one to a counter (what)
in the same transaction, with nothing that joins them (see ``app.votes.models``). Two
ballots sent at once by the same person (or the same home) are settled by the database's
unique constraint on participation: one is counted, the other is refused.

A vote whose closing time has passed is closed by whoever reads it first
(``refresh_status``), whether or not a job ran; the close is a conditional UPDATE, so two
readers at once close it (and change the charter) only once.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from app.core.audit import record
from app.core.db import built_once
from app.core.errors import Conflict, DomainError
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, check_role
from app.core.timewords import TimeWords
from app.extensions import db
from app.residences.models import Membership
from app.votes.models import (
    CHOICE_KEYS,
    DEFAULT_OPTIONS,
    MAX_CHOICES,
    Article,
    Ballot,
    ChangeKind,
    Channel,
    Electorate,
    Majority,
    Participation,
    Proposal,
    ProposalStatus,
    Vote,
    VoteTally,
)

POUR, CONTRE, ABSTENTION = DEFAULT_OPTIONS
VOTERS = (Role.RESIDENT, Role.COMMITTEE, Role.COORDINATOR)  # landlord staff do not vote


# ---------------------------------------------------------------------------------------
# Errors


class VoteRefused(DomainError):
    """A rule of the vote says no (422)."""


class VoteNotOpen(Conflict):
    default_message = _l(
        "Ce vote n'est pas ouvert : on ne peut voter qu'entre son ouverture et sa clôture."
    )

    @classmethod
    def about(cls, vote: Vote, now: dt.datetime) -> VoteNotOpen:
        """Said plainly: over, or not yet open."""
        if vote.is_closed(now):
            return cls(_l("Ce vote est terminé : on ne peut plus voter."))
        return cls(_l("Ce vote n'est pas encore ouvert : revenez à partir de son ouverture."))


class NotInElectorate(VoteRefused):
    default_message = _l("Vous ne faites pas partie des votants de ce vote.")


class AlreadyVoted(Conflict):
    default_message = _l(
        "Vous avez déjà voté. Ce vote est secret : un vote confirmé ne se change pas, "
        "et il n'est compté qu'une fois."
    )


class HomeAlreadyVoted(Conflict):
    default_message = _l("Votre foyer a déjà voté : dans ce vote, chaque foyer a une seule voix.")


class VotedByProxy(Conflict):
    default_message = _l("La personne qui a votre procuration a déjà voté pour vous.")


class CountedAtDesk(Conflict):
    default_message = _l(
        "Votre vote a été compté au bureau de vote (sur papier ou à main levée) : pour le "
        "changer, voyez la personne qui tient le bureau de vote."
    )


class UnknownChoice(VoteRefused):
    default_message = _l("Choisissez une des réponses proposées.")


class InvalidSettings(VoteRefused):
    default_message = _l(
        "Vérifiez les réglages du vote : la clôture doit être après l'ouverture, "
        "et le quorum entre 0 et 100 %."
    )


class ProposalNotReady(Conflict):
    default_message = _l("Cette proposition ne peut pas être mise au vote dans son état actuel.")


# ---------------------------------------------------------------------------------------
# Settings and presets


@dataclass
class Settings:
    """What the committee picks for a vote (times in UTC)."""

    opens_at: dt.datetime
    closes_at: dt.datetime
    electorate: Electorate = Electorate.HOMES
    quorum_percent: int = 0
    majority: Majority = Majority.MORE_FOR_THAN_AGAINST
    abstentions_cast: bool = False
    secret: bool = True
    results_hidden: bool = True
    options: tuple[str, ...] = DEFAULT_OPTIONS
    # A question's choices in the committee's words (options c1, c2, … in this order).
    labels: tuple[str, ...] = ()


# Starting points the committee adjusts: every key is a ``Settings`` field; ``days`` is how
# long the vote stays open.
PRESETS: dict[str, dict] = {
    "charte": {
        "label": _l("Charte de la résidence"),
        "electorate": Electorate.HOMES,
        "quorum_percent": 50,
        "majority": Majority.MORE_FOR_THAN_AGAINST,
        "abstentions_cast": False,
        "secret": True,
        "results_hidden": True,
        "days": 14,
    },
    "association": {
        "label": _l("Association"),
        "electorate": Electorate.RESIDENTS,
        "quorum_percent": 25,
        "majority": Majority.MORE_FOR_THAN_AGAINST,
        "abstentions_cast": False,
        "secret": False,
        "results_hidden": False,
        "days": 7,
    },
    "cvs": {
        "label": _l("Conseil de la vie sociale"),
        "electorate": Electorate.COMMITTEE,
        "quorum_percent": 50,
        "majority": Majority.MORE_FOR_THAN_AGAINST,
        "abstentions_cast": True,
        "secret": False,
        "results_hidden": False,
        "days": 7,
    },
}


def preset(name: str, opens_at: dt.datetime, **changes) -> Settings:
    """The settings of preset ``name`` opening at ``opens_at``, with ``changes`` applied."""
    values = {k: v for k, v in PRESETS[name].items() if k not in ("label", "days")}
    values["opens_at"] = opens_at
    values["closes_at"] = opens_at + dt.timedelta(days=PRESETS[name]["days"])
    values.update(changes)
    return Settings(**values)


# ---------------------------------------------------------------------------------------
# Proposals


def create_proposal(
    actor: Membership,
    title: str,
    rule_text: str,
    *,
    why: str = "",
    summary: str = "",
    change: ChangeKind = ChangeKind.CREATE,
    article: Article | None = None,
) -> Proposal:
    """Any resident drafts a proposal: a new article, or a change to (or the repeal of) one."""
    check_role(actor, Role.RESIDENT)
    if change not in (ChangeKind.CREATE, ChangeKind.QUESTION) and (
        article is None or article.residence_id != actor.residence_id
    ):
        raise VoteRefused(_l("Choisissez l'article de la charte à changer."), field="article")
    proposal = Proposal(
        residence_id=actor.residence_id,
        author=actor,
        title=title.strip(),
        rule_text=rule_text.strip(),
        why=why.strip(),
        summary=summary.strip(),
        change=change,
        article=article if change not in (ChangeKind.CREATE, ChangeKind.QUESTION) else None,
    )
    db.session.add(proposal)
    db.session.flush()
    return proposal


def move_proposal(actor: Membership, proposal: Proposal, status: ProposalStatus) -> Proposal:
    """The committee opens the discussion of a draft, or withdraws a proposal not yet
    decided. Voting, adoption and rejection come from the vote itself."""
    check_role(actor, Role.COMMITTEE, proposal.residence_id)
    allowed = {
        ProposalStatus.DISCUSSION: (ProposalStatus.DRAFT,),
        ProposalStatus.WITHDRAWN: (ProposalStatus.DRAFT, ProposalStatus.DISCUSSION),
    }
    if proposal.status not in allowed.get(status, ()):
        raise ProposalNotReady(_l("Cette proposition ne peut pas passer à cet état."))
    proposal.status = status
    record(f"proposal.{status.value}", actor=actor, target=proposal)
    db.session.flush()
    return proposal


def create_vote(actor: Membership, proposal: Proposal, settings: Settings) -> Vote:
    """The committee (or the coordination) puts ``proposal`` to the vote."""
    check_role(actor, Role.COMMITTEE, proposal.residence_id)
    if proposal.status not in (ProposalStatus.DRAFT, ProposalStatus.DISCUSSION):
        raise ProposalNotReady()
    if settings.closes_at <= settings.opens_at or not 0 <= settings.quorum_percent <= 100:
        raise InvalidSettings()
    labels = _check_options(proposal, settings)
    vote = Vote(
        residence_id=proposal.residence_id,
        proposal=proposal,
        electorate=settings.electorate,
        opens_at=settings.opens_at,
        closes_at=settings.closes_at,
        options=",".join(settings.options),
        labels=labels,
        quorum_percent=settings.quorum_percent,
        majority=settings.majority,
        # A question's abstentions never weigh: the choices are compared among themselves.
        abstentions_cast=settings.abstentions_cast and labels is None,
        secret=settings.secret,
        # A secret vote's running counts would tell who chose what: hidden until the close.
        results_hidden=settings.results_hidden or settings.secret,
        created_by_id=actor.user_id,
    )
    db.session.add(vote)
    db.session.flush()
    if vote.secret:
        db.session.add_all(VoteTally(vote_id=vote.id, option=o, count=0) for o in settings.options)
    proposal.status = ProposalStatus.VOTING
    record("vote.create", actor=actor, target=vote)
    db.session.flush()
    return vote


CHOICE_LENGTH = 80


def _check_options(proposal: Proposal, settings: Settings) -> list[str] | None:
    """A question's choices (2 to 6, each said once, 80 characters at most, keyed c1, c2, …
    in order, with "Je m'abstiens" or not) and its rule (the most votes wins); Pour /
    Contre / Je m'abstiens and a majority of those for any other proposal. The labels to
    store (None for Pour / Contre)."""
    if proposal.change != ChangeKind.QUESTION:
        if tuple(settings.options) != DEFAULT_OPTIONS or settings.labels:
            raise InvalidSettings(
                _l(
                    "Une proposition qui change la charte se vote par Pour, Contre ou "
                    "Je m'abstiens. Pour plusieurs choix, proposez une question."
                )
            )
        if settings.majority == Majority.PLURALITY:
            raise InvalidSettings(
                _l("Choisissez une majorité de pour : « le plus de voix » vaut pour une question.")
            )
        return None
    labels = [label.strip() for label in settings.labels]
    if not 2 <= len(labels) <= MAX_CHOICES or not all(labels):
        raise InvalidSettings(
            _l("Une question a de 2 à %(num)d choix, chacun écrit.", num=MAX_CHOICES)
        )
    if any(len(label) > CHOICE_LENGTH for label in labels):
        raise InvalidSettings(_l("Chaque choix a %(num)d caractères au plus.", num=CHOICE_LENGTH))
    if len({label.casefold() for label in labels}) != len(labels):
        raise InvalidSettings(_l("Chaque choix n'est proposé qu'une fois."))
    keys = CHOICE_KEYS[: len(labels)]
    if tuple(settings.options) not in (keys, (*keys, ABSTENTION)):
        raise InvalidSettings()
    if settings.majority != Majority.PLURALITY:
        raise InvalidSettings(
            _l(
                "Une question se tranche par le choix qui a le plus de voix : les majorités "
                "de pour et de contre ne s'y appliquent pas."
            )
        )
    return labels


def open_vote(actor: Membership, vote: Vote, *, now: dt.datetime) -> Vote:
    """Open now a vote planned for later."""
    check_role(actor, Role.COMMITTEE, vote.residence_id)
    refresh_status(vote, now)
    if vote.closed_at is not None:
        raise VoteNotOpen()
    if vote.opens_at > now:
        vote.opens_at = now
        record("vote.open", actor=actor, target=vote)
    db.session.flush()
    return vote


def close_vote(actor: Membership, vote: Vote, *, now: dt.datetime) -> Vote:
    """Close now (before the planned time): the result is settled at once."""
    check_role(actor, Role.COMMITTEE, vote.residence_id)
    if vote.closed_at is None and now < vote.closes_at:
        vote.closes_at = max(now, vote.opens_at + dt.timedelta(seconds=1))
        db.session.flush()
        record("vote.close", actor=actor, target=vote)
    refresh_status(vote, max(now, vote.closes_at))
    return vote


# ---------------------------------------------------------------------------------------
# Electorate


def _eligible_members(vote: Vote):
    query = sa.select(Membership).where(
        Membership.residence_id == vote.residence_id, Membership.deactivated_at.is_(None)
    )
    if vote.electorate == Electorate.COMMITTEE:
        return query.where(Membership.role == Role.COMMITTEE)
    return query.where(Membership.role.in_(VOTERS))


def in_electorate(member: Membership | None, vote: Vote) -> bool:
    if member is None or not member.is_active or member.residence_id != vote.residence_id:
        return False
    if vote.electorate == Electorate.COMMITTEE:
        return member.role == Role.COMMITTEE
    return member.role in VOTERS


def voter_key(member: Membership, vote: Vote) -> str:
    """What votes once: the home in a vote per home (a member without a home counts as a
    home of their own), otherwise the person."""
    if vote.electorate == Electorate.HOMES and member.home_id is not None:
        return f"home:{member.home_id}"
    return f"member:{member.id}"


def electorate_size(vote: Vote) -> int:
    """How many may vote: people, or homes (members without a home count one each)."""
    if vote.electorate_size is not None:
        return vote.electorate_size
    members = _eligible_members(vote).subquery()
    if vote.electorate == Electorate.HOMES:
        # Homes, and members without a home (one each): one query.
        homes, alone = db.session.execute(
            sa.select(
                sa.func.count(sa.distinct(members.c.home_id)),
                sa.func.coalesce(
                    sa.func.sum(sa.case((members.c.home_id.is_(None), 1), else_=0)), 0
                ),
            )
        ).one()
        return (homes or 0) + (alone or 0)
    return db.session.scalar(sa.select(sa.func.count()).select_from(members)) or 0


def can_cast(member: Membership | None, vote: Vote, now: dt.datetime) -> bool:
    return vote.is_open(now) and in_electorate(member, vote)


# ---------------------------------------------------------------------------------------
# Casting


def _participation(vote: Vote, key: str) -> Participation | None:
    return db.session.scalar(
        sa.select(Participation).where(
            Participation.vote_id == vote.id, Participation.voter_key == key
        )
    )


def cast(
    actor: Membership,
    vote: Vote,
    choice: str,
    *,
    now: dt.datetime,
    channel: Channel = Channel.ONLINE,
) -> None:
    """``actor`` votes ``choice``. A secret ballot is final; a public one may be changed
    until the close (by the same person: in a vote per home, the home's first voter), and
    only through the way it was cast: a ballot cast by a proxy's holder, or recorded at the
    desk (paper, show of hands), is not changed online."""
    refresh_status(vote, now)
    if not vote.is_open(now):
        raise VoteNotOpen.about(vote, now)
    if not in_electorate(actor, vote):
        raise NotInElectorate()
    if choice not in vote.option_keys:
        raise UnknownChoice(field="choice")
    key = voter_key(actor, vote)
    existing = _participation(vote, key)
    if existing is not None:
        if existing.membership_id != actor.id:
            raise HomeAlreadyVoted()
        if existing.channel == Channel.PROXY:
            raise VotedByProxy(
                _l(
                    "%(name)s a déjà voté pour vous avec votre procuration : ce vote compte, "
                    "vous ne pouvez plus voter vous-même.",
                    name=_name_of(existing.cast_by_id),
                )
            )
        if vote.secret:
            raise AlreadyVoted()
        if existing.channel != channel:
            raise CountedAtDesk()
        change_ballot(vote, key, choice, now=now)
        return
    count(vote, key, actor, choice, channel=channel, now=now)


def change_ballot(vote: Vote, key: str, choice: str, *, now: dt.datetime) -> None:
    """A public ballot's new choice."""
    ballot = db.session.scalar(
        sa.select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == key)
    )
    ballot.option, ballot.cast_at = choice, now
    db.session.flush()


def count(
    vote: Vote,
    key: str,
    member: Membership,
    choice: str,
    *,
    channel: Channel,
    now: dt.datetime,
    cast_by: Membership | None = None,
) -> None:
    """Count one ballot for ``key`` (``member``'s voice): the participation row, then the
    counter (secret) or the ballot (public), in this transaction. Another ballot for the
    same key counted at the same moment makes this one fail (``AlreadyVoted``)."""
    try:
        with db.session.begin_nested():
            db.session.add(
                Participation(
                    vote_id=vote.id,
                    voter_key=key,
                    membership_id=member.id,
                    home_id=member.home_id if vote.electorate == Electorate.HOMES else None,
                    channel=channel,
                    cast_by_id=cast_by.id if cast_by is not None else None,
                )
            )
            db.session.flush()
    except sa.exc.IntegrityError:
        # Another ballot of the same person (or home) was counted at the same moment.
        raise (AlreadyVoted() if vote.secret else HomeAlreadyVoted()) from None
    if vote.secret:
        # Every counter of the vote is rewritten (+1 on the choice, +0 elsewhere), so that
        # no counter alone carries this transaction's mark.
        db.session.execute(
            sa.update(VoteTally)
            .where(VoteTally.vote_id == vote.id)
            .values(count=VoteTally.count + sa.case((VoteTally.option == choice, 1), else_=0))
        )
    else:
        db.session.add(
            Ballot(
                vote_id=vote.id, voter_key=key, membership_id=member.id, option=choice, cast_at=now
            )
        )
    db.session.flush()


def _name_of(membership_id: int | None) -> str:
    member = db.session.get(Membership, membership_id) if membership_id else None
    return member.user.full_name if member is not None else ""


def has_voted(member: Membership, vote: Vote) -> bool:
    return _participation(vote, voter_key(member, vote)) is not None


def participation_of(member: Membership, vote: Vote) -> Participation | None:
    """The participation that counts for ``member`` (theirs, or their home's)."""
    return _participation(vote, voter_key(member, vote))


def ballot_of(member: Membership, vote: Vote) -> Ballot | None:
    """A public vote's ballot that counts for ``member`` (a secret vote has none)."""
    if vote.secret:
        return None
    return db.session.scalar(
        sa.select(Ballot).where(
            Ballot.vote_id == vote.id, Ballot.voter_key == voter_key(member, vote)
        )
    )


def check_ballot(actor: Membership, vote: Vote, choice: str, *, now: dt.datetime) -> None:
    """What ``cast`` would refuse, said before the person confirms (the review step)."""
    if not vote.is_open(now):
        raise VoteNotOpen.about(vote, now)
    if not in_electorate(actor, vote):
        raise NotInElectorate()
    if choice not in vote.option_keys:
        raise UnknownChoice(field="choice")
    existing = participation_of(actor, vote)
    if existing is not None:
        if existing.membership_id != actor.id:
            raise HomeAlreadyVoted()
        if vote.secret:
            raise AlreadyVoted()


# ---------------------------------------------------------------------------------------
# Lists


def needs_closing(vote: Vote, now: dt.datetime) -> bool:
    """Its closing time has passed and nobody has settled it yet (``refresh_status``)."""
    return vote.closed_at is None and now >= vote.closes_at


@built_once
def _current_votes_query():
    return (
        sa.select(Vote)
        .join(Vote.proposal)
        .options(contains_eager(Vote.proposal))
        .where(Vote.residence_id == sa.bindparam("residence_id"), Vote.closed_at.is_(None))
    )


@built_once
def _closed_votes_query():
    return (
        sa.select(Vote)
        .join(Vote.proposal)
        .options(contains_eager(Vote.proposal))
        .where(Vote.residence_id == sa.bindparam("residence_id"), Vote.closed_at.is_not(None))
        .order_by(Vote.closed_at.desc(), Vote.id.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


def residence_votes(residence_id: int, *, closed_limit: int = 20) -> list[Vote]:
    """The residence's votes with their proposals: all those not closed, and the latest
    ``closed_limit`` closed ones (two queries, whatever the history)."""
    values = {"residence_id": residence_id}
    current = db.session.scalars(_current_votes_query(), values).all()
    closed = db.session.scalars(_closed_votes_query(), {**values, "limit": closed_limit}).all()
    return [*current, *closed]


def open_votes(residence_id: int, now: dt.datetime) -> list[Vote]:
    """The residence's votes open at ``now``, the first to close first (one query). One whose
    closing time has passed is left out, settled or not: nobody can vote in it any more."""
    votes = db.session.scalars(_current_votes_query(), {"residence_id": residence_id})
    return sorted((v for v in votes if v.is_open(now)), key=lambda v: v.closes_at)


def voted_in(member: Membership | None, votes: list[Vote]) -> set[int]:
    """The ids of ``votes`` in which ``member`` (or their home, in a vote per home) has
    voted: one query."""
    if member is None or not votes:
        return set()
    keys = [f"member:{member.id}"]
    if member.home_id is not None:
        keys.append(f"home:{member.home_id}")
    return set(
        db.session.scalars(
            sa.select(Participation.vote_id).where(
                Participation.vote_id.in_([v.id for v in votes]),
                Participation.voter_key.in_(keys),
            )
        )
    )


def proposals_ready(residence_id: int) -> list[Proposal]:
    """The proposals in discussion, which the committee may put to the vote."""
    return list(
        db.session.scalars(
            sa.select(Proposal)
            .where(
                Proposal.residence_id == residence_id,
                Proposal.status == ProposalStatus.DISCUSSION,
            )
            .order_by(Proposal.id)
        )
    )


def weak_secrecy_ahead(vote: Vote, size: int | None = None) -> bool:
    """Before the close, only the size of the electorate may warn: a warning that came and
    went with the running counts would itself tell them."""
    if not vote.secret:
        return False
    return (electorate_size(vote) if size is None else size) < FEW_VOTERS


@built_once
def page_query():
    """A vote by the bind parameter ``id`` with its proposal, in one query."""
    return sa.select(Vote).options(joinedload(Vote.proposal)).where(Vote.id == sa.bindparam("id"))


# ---------------------------------------------------------------------------------------
# Closing and results


@dataclass
class Result:
    counts: dict[str, int]
    participation: int
    electorate: int
    quorum: int  # how many had to take part
    quorum_met: bool
    adopted: bool
    electorate_kind: Electorate
    majority: Majority
    abstentions_cast: bool
    # A question's: its choices' words by key, and the one that won (None: no quorum, or a
    # tie at the top, or nothing cast).
    labels: dict[str, str] = field(default_factory=dict)
    winner: str | None = None

    @property
    def is_question(self) -> bool:
        return self.majority == Majority.PLURALITY

    @property
    def tie(self) -> bool:
        """A question whose top choices have as many votes (at least one each)."""
        top = self.ranked[:2]
        return len(top) == 2 and top[0][1] == top[1][1] and top[0][1] > 0

    @property
    def ranked(self) -> list[tuple[str, int]]:
        """A question's choices, most votes first (their order when equal); no abstentions."""
        choices = [(k, n) for k, n in self.counts.items() if k != ABSTENTION]
        return sorted(choices, key=lambda item: -item[1])

    @property
    def cast(self) -> int:
        """Votes cast (exprimés): pour and contre, and abstentions when they count; for a
        question, its choices (abstentions never count)."""
        if self.is_question:
            return sum(n for _k, n in self.ranked)
        cast = self.counts.get(POUR, 0) + self.counts.get(CONTRE, 0)
        return cast + (self.counts.get(ABSTENTION, 0) if self.abstentions_cast else 0)


def counts(vote: Vote) -> dict[str, int]:
    if vote.secret:
        rows = db.session.execute(
            sa.select(VoteTally.option, VoteTally.count).where(VoteTally.vote_id == vote.id)
        )
    else:
        rows = db.session.execute(
            sa.select(Ballot.option, sa.func.count())
            .where(Ballot.vote_id == vote.id)
            .group_by(Ballot.option)
        )
    found = dict(rows.all())
    return {option: found.get(option, 0) for option in vote.option_keys}


def result(vote: Vote) -> Result:
    participation = db.session.scalar(
        sa.select(sa.func.count()).where(Participation.vote_id == vote.id)
    )
    return _outcome(vote, counts(vote), participation, electorate_size(vote))


def _outcome(vote: Vote, found: dict[str, int], participation: int, electorate: int) -> Result:
    quorum = math.ceil(vote.quorum_percent * electorate / 100)
    outcome = Result(
        counts=found,
        participation=participation,
        electorate=electorate,
        quorum=quorum,
        quorum_met=participation >= quorum,
        adopted=False,
        electorate_kind=vote.electorate,
        majority=vote.majority,
        abstentions_cast=vote.abstentions_cast,
        labels=vote.choice_words,
    )
    if vote.majority == Majority.PLURALITY:
        # The choice with the most votes wins; a tie at the top, none does.
        ranked = outcome.ranked
        if outcome.quorum_met and ranked and ranked[0][1] > 0 and not outcome.tie:
            outcome.winner = ranked[0][0]
        outcome.adopted = outcome.winner is not None
        return outcome
    pour, contre = found.get(POUR, 0), found.get(CONTRE, 0)
    if vote.majority == Majority.MORE_FOR_THAN_AGAINST:
        # Abstentions that count weigh like "contre": pour must beat all the others cast.
        passed = pour > outcome.cast - pour
    elif vote.majority == Majority.TWO_THIRDS_OF_CAST:
        passed = pour > 0 and 3 * pour >= 2 * outcome.cast
    else:
        passed = 2 * pour > electorate
    # A tie is no majority: strict comparisons reject it.
    outcome.adopted = outcome.quorum_met and passed and pour > contre
    return outcome


def results_of(votes: list[Vote]) -> dict[int, Result]:
    """The results of closed ``votes`` (their electorate frozen) in three queries, whatever
    their number: the counters, the public ballots, the participations."""
    closed = [v for v in votes if v.electorate_size is not None]
    if not closed:
        return {}
    ids = [v.id for v in closed]
    found: dict[int, dict[str, int]] = {v.id: {} for v in closed}
    for vote_id, option, count in db.session.execute(
        sa.select(VoteTally.vote_id, VoteTally.option, VoteTally.count).where(
            VoteTally.vote_id.in_(ids)
        )
    ):
        found[vote_id][option] = count
    for vote_id, option, count in db.session.execute(
        sa.select(Ballot.vote_id, Ballot.option, sa.func.count())
        .where(Ballot.vote_id.in_(ids))
        .group_by(Ballot.vote_id, Ballot.option)
    ):
        found[vote_id][option] = count
    taken = dict(
        db.session.execute(
            sa.select(Participation.vote_id, sa.func.count())
            .where(Participation.vote_id.in_(ids))
            .group_by(Participation.vote_id)
        ).all()
    )
    return {
        v.id: _outcome(
            v,
            {o: found[v.id].get(o, 0) for o in v.option_keys},
            taken.get(v.id, 0),
            v.electorate_size,
        )
        for v in closed
    }


FEW_VOTERS = 7  # under this many possible voters, a secret ballot is easily guessed


def secrecy_is_weak(vote: Vote, outcome: Result) -> bool:
    """A secret vote whose secrecy is weak, for the page to warn about: fewer than 7
    possible voters, or a unanimous result (everyone who took part chose the same, so
    taking part tells the choice)."""
    if not vote.secret:
        return False
    chosen = [count for count in outcome.counts.values() if count]
    return outcome.electorate < FEW_VOTERS or (outcome.participation > 0 and len(chosen) == 1)


def results_visible(vote: Vote, now: dt.datetime) -> bool:
    return not vote.results_hidden or vote.is_closed(now)


def refresh_status(vote: Vote, now: dt.datetime) -> Vote:
    """Close ``vote`` if its closing time has passed (called by every reader). The first
    reader settles the result, freezes the electorate and changes the charter; the UPDATE
    only matches while the vote is still open, so it happens once."""
    if vote.closed_at is not None or now < vote.closes_at:
        return vote
    size = electorate_size(vote)
    done = db.session.execute(
        sa.update(Vote)
        .where(Vote.id == vote.id, Vote.closed_at.is_(None))
        .values(closed_at=vote.closes_at, electorate_size=size)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # someone else closed it
        db.session.refresh(vote)
        return vote
    vote.closed_at, vote.electorate_size = vote.closes_at, size
    outcome = result(vote)
    vote.adopted = outcome.adopted
    proposal = vote.proposal
    if proposal.status == ProposalStatus.VOTING:
        proposal.status = ProposalStatus.ADOPTED if outcome.adopted else ProposalStatus.REJECTED
        # A question leaves the charter as it is, whatever won.
        if outcome.adopted and proposal.change != ChangeKind.QUESTION:
            _apply_to_charter(proposal, vote.closes_at)
    record("vote.closed", residence_id=vote.residence_id, target=vote, details=_details(outcome))
    db.session.flush()
    return vote


def _details(outcome: Result) -> str:
    return ", ".join(f"{k}={v}" for k, v in outcome.counts.items()) + (
        f"; {outcome.participation}/{outcome.electorate}"
    )


def _apply_to_charter(proposal: Proposal, when: dt.datetime) -> None:
    if proposal.change == ChangeKind.CREATE:
        number = (
            db.session.scalar(
                sa.select(sa.func.max(Article.number)).where(
                    Article.residence_id == proposal.residence_id
                )
            )
            or 0
        ) + 1
        article = Article(
            residence_id=proposal.residence_id,
            number=number,
            title=proposal.title,
            text=proposal.rule_text,
            updated_at=when,
        )
        db.session.add(article)
        proposal.article = article
        return
    article = proposal.article
    proposal.previous_text = article.text
    if proposal.change == ChangeKind.CHANGE:
        article.text = proposal.rule_text
        article.in_force = True
    else:
        article.in_force = False
    article.updated_at = when


def charter(residence_id: int) -> list[Article]:
    """The articles in force, in order."""
    return list(
        db.session.scalars(
            sa.select(Article)
            .where(Article.residence_id == residence_id, Article.in_force)
            .order_by(Article.number)
        )
    )


# ---------------------------------------------------------------------------------------
# The result in one sentence


def _turnout(tw: TimeWords, outcome: Result) -> str:
    num, total = outcome.participation, outcome.electorate
    if outcome.electorate_kind == Electorate.HOMES:
        return tw.ngettext(
            "%(num)d foyer sur %(total)d a voté",
            "%(num)d foyers sur %(total)d ont voté",
            num,
            total=total,
        )
    if outcome.electorate_kind == Electorate.COMMITTEE:
        return tw.ngettext(
            "%(num)d membre du comité sur %(total)d a voté",
            "%(num)d membres du comité sur %(total)d ont voté",
            num,
            total=total,
        )
    return tw.ngettext(
        "%(num)d habitant sur %(total)d a voté",
        "%(num)d habitants sur %(total)d ont voté",
        num,
        total=total,
    )


def _quorum(tw: TimeWords, outcome: Result) -> str:
    if outcome.quorum == 0:
        return tw.gettext("sans quorum")
    if outcome.quorum_met:
        return tw.gettext("le quorum de %(num)d est atteint", num=outcome.quorum)
    return tw.gettext("le quorum de %(num)d n'est pas atteint", num=outcome.quorum)


def rule_words(
    tw: TimeWords, majority: Majority, abstentions_cast: bool, electorate: int, *, ahead=False
) -> str:
    """The majority rule in plain words: after the vote ("il fallait plus de pour que de
    contre"), or before it when ``ahead`` ("il faut plus de pour que de contre")."""
    if majority == Majority.PLURALITY:
        return tw.gettext("le choix qui a le plus de voix l'emporte")
    if majority == Majority.MORE_FOR_THAN_AGAINST:
        if abstentions_cast:
            if ahead:
                return tw.gettext("il faut plus de pour que de contre et d'abstentions réunis")
            return tw.gettext("il fallait plus de pour que de contre et d'abstentions réunis")
        if ahead:
            return tw.gettext("il faut plus de pour que de contre")
        return tw.gettext("il fallait plus de pour que de contre")
    if majority == Majority.TWO_THIRDS_OF_CAST:
        if abstentions_cast:
            if ahead:
                return tw.gettext("il faut au moins deux tiers de pour, abstentions comprises")
            return tw.gettext("il fallait au moins deux tiers de pour, abstentions comprises")
        if ahead:
            return tw.gettext("il faut au moins deux tiers de pour parmi les pour et les contre")
        return tw.gettext("il fallait au moins deux tiers de pour parmi les pour et les contre")
    if ahead:
        return tw.gettext(
            "il faut que plus de la moitié des %(total)d votants possibles votent pour",
            total=electorate,
        )
    return tw.gettext(
        "il fallait que plus de la moitié des %(total)d votants possibles votent pour",
        total=electorate,
    )


def settings_words(tw: TimeWords, vote: Vote, size: int | None = None) -> list[str]:
    """The vote's settings in plain words, for voters to read before they vote ("Il faut
    qu'au moins 20 foyers votent."). ``size``: the electorate's, when already known."""
    size = electorate_size(vote) if size is None else size
    quorum = math.ceil(vote.quorum_percent * size / 100)
    if vote.electorate == Electorate.HOMES:
        said = [tw.gettext("Chaque foyer a une voix : la première personne du foyer qui vote.")]
        need = tw.ngettext(
            "Il faut qu'au moins %(num)d foyer sur %(total)d vote.",
            "Il faut qu'au moins %(num)d foyers sur %(total)d votent.",
            quorum,
            total=size,
        )
    elif vote.electorate == Electorate.COMMITTEE:
        said = [tw.gettext("Seuls les membres du comité votent.")]
        need = tw.ngettext(
            "Il faut qu'au moins %(num)d membre du comité sur %(total)d vote.",
            "Il faut qu'au moins %(num)d membres du comité sur %(total)d votent.",
            quorum,
            total=size,
        )
    else:
        said = [tw.gettext("Chaque habitant a une voix.")]
        need = tw.ngettext(
            "Il faut qu'au moins %(num)d habitant sur %(total)d vote.",
            "Il faut qu'au moins %(num)d habitants sur %(total)d votent.",
            quorum,
            total=size,
        )
    said.append(need if quorum else tw.gettext("Il n'y a pas de nombre minimum de votants."))
    if vote.is_question:
        said.append(tw.gettext("Le choix qui a le plus de voix l'emporte."))
        said.append(
            tw.gettext(
                "Si deux choix arrivent en tête à égalité, aucun choix ne l'emporte. "
                "Les abstentions ne comptent pour aucun choix."
            )
            if ABSTENTION in vote.option_keys
            else tw.gettext("Si deux choix arrivent en tête à égalité, aucun choix ne l'emporte.")
        )
    else:
        rule = rule_words(tw, vote.majority, vote.abstentions_cast, size, ahead=True)
        said.append(tw.gettext("Pour que la règle soit adoptée, %(rule)s.", rule=rule))
    if vote.secret:
        said.append(
            tw.gettext(
                "Le vote est secret : personne ne peut savoir ce que vous avez choisi. "
                "Une fois confirmé, votre vote ne se change plus."
            )
        )
    else:
        said.append(
            tw.gettext(
                "Le vote est public : les autres votants voient ce que vous avez choisi. "
                "Vous pouvez changer d'avis jusqu'à la clôture."
            )
        )
    if vote.results_hidden:
        said.append(tw.gettext("Les résultats seront connus à la clôture."))
    return said


def _question_summary(tw: TimeWords, outcome: Result) -> str:
    """ "Choix retenu : Jeudi, 12 voix sur 25 ; Mardi 8, Samedi 5 ; 3 abstentions ; 28 foyers
    sur 40 ont voté, le quorum de 20 est atteint ; le choix qui a le plus de voix
    l'emporte". The choices in the committee's words, most votes first."""
    ranked = outcome.ranked
    others = [(k, n) for k, n in ranked if k != outcome.winner]
    listed = ", ".join(
        tw.gettext("%(choice)s %(num)d", choice=outcome.labels.get(k, k), num=n) for k, n in others
    )
    if outcome.winner is not None:
        verdict = tw.gettext(
            "Choix retenu : %(choice)s, %(votes)s sur %(cast)d",
            choice=outcome.labels.get(outcome.winner, outcome.winner),
            votes=tw.ngettext("%(num)d voix", "%(num)d voix", outcome.counts[outcome.winner]),
            cast=outcome.cast,
        )
    elif outcome.tie and outcome.quorum_met:
        verdict = tw.gettext("Égalité : aucun choix ne l'emporte")
    else:
        verdict = tw.gettext("Aucun choix retenu")
    if outcome.winner is not None:
        parts = [verdict, listed]
    else:
        parts = [tw.gettext("%(verdict)s : %(choices)s", verdict=verdict, choices=listed)]
    if ABSTENTION in outcome.counts:
        parts.append(
            tw.ngettext("%(num)d abstention", "%(num)d abstentions", outcome.counts[ABSTENTION])
        )
    parts.append(
        tw.gettext(
            "%(turnout)s, %(quorum)s", turnout=_turnout(tw, outcome), quorum=_quorum(tw, outcome)
        )
    )
    parts.append(rule_words(tw, outcome.majority, False, outcome.electorate))
    said = parts[0]
    for part in parts[1:]:  # the French "; " has its space before
        said = tw.gettext("%(before)s ; %(after)s", before=said, after=part)
    return said


def summary(tw: TimeWords, outcome: Result) -> str:
    """ "Adopté : 14 pour, 5 contre, 3 abstentions ; 22 foyers sur 40 ont voté, le quorum de
    20 est atteint ; il fallait plus de pour que de contre"."""
    if outcome.is_question:
        return _question_summary(tw, outcome)
    c = outcome.counts
    return tw.gettext(
        "%(verdict)s : %(pour)s, %(contre)s, %(abstentions)s ; %(turnout)s, %(quorum)s ; %(rule)s",
        verdict=tw.gettext("Adopté") if outcome.adopted else tw.gettext("Rejeté"),
        pour=tw.ngettext("%(num)d pour", "%(num)d pour", c.get(POUR, 0)),
        contre=tw.ngettext("%(num)d contre", "%(num)d contre", c.get(CONTRE, 0)),
        abstentions=tw.ngettext("%(num)d abstention", "%(num)d abstentions", c.get(ABSTENTION, 0)),
        turnout=_turnout(tw, outcome),
        quorum=_quorum(tw, outcome),
        rule=rule_words(tw, outcome.majority, outcome.abstentions_cast, outcome.electorate),
    )
