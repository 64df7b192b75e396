"""Proposals as residents read and discuss them, the charter and its history, the minutes
of a closed vote, and the reminders sent the day before a vote closes.

(Beside ``services.py`` rather than in it while two people build issue 9 at once: the
lead may fold them.)

Reminders: ``send_reminders`` is run by cron (``flask vote-reminders``). For each vote that
closes within a day, it first claims the vote's ``VoteReminder`` row (an INSERT … ON
CONFLICT DO NOTHING: one transaction only can make it; a second server waits on the first's
row lock, then inserts nothing), then leaves the messages in the same transaction and
commits. A run that dies before its commit leaves neither marker nor messages: the next run
sends them. Nobody gets a reminder twice, and nobody who has voted gets one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, selectinload

from app.core.audit import record
from app.core.db import utcnow, write_lock
from app.core.errors import Conflict, DomainError, NotAllowed
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, check_role, has_role_here
from app.core.timewords import TimeWords
from app.extensions import db
from app.messages import services as messages
from app.residences.models import Membership
from app.users.models import User
from app.votes import services
from app.votes.models import (
    ABSTENTION,
    Article,
    ChangeKind,
    Channel,
    Electorate,
    Participation,
    Proposal,
    ProposalComment,
    ProposalStatus,
    Vote,
    VoteReminder,
)

COMMENT_MAX = 2000
REMIND_BEFORE = dt.timedelta(days=1)

# The order of the proposals' list: what is happening first.
STATUS_ORDER = (
    ProposalStatus.VOTING,
    ProposalStatus.DISCUSSION,
    ProposalStatus.DRAFT,
    ProposalStatus.ADOPTED,
    ProposalStatus.REJECTED,
    ProposalStatus.WITHDRAWN,
)
# Statuses in which residents may still comment.
OPEN_TO_COMMENTS = (ProposalStatus.DRAFT, ProposalStatus.DISCUSSION, ProposalStatus.VOTING)


class ProposalNotEditable(Conflict):
    default_message = _l(
        "Cette proposition n'est plus un brouillon : elle ne se modifie plus. "
        "Écrivez plutôt un commentaire."
    )


class CommentsClosed(Conflict):
    default_message = _l("La discussion de cette proposition est terminée.")


class EmptyComment(DomainError):
    default_message = _l("Écrivez votre commentaire.")


class NoReason(DomainError):
    default_message = _l("Écrivez pourquoi : l'auteur le lira, et les habitants aussi.")


class VoteNotClosed(Conflict):
    default_message = _l("Le procès-verbal sera prêt à la clôture du vote.")


# ---------------------------------------------------------------------------------------
# Proposals


def proposals_of(residence_id: int) -> dict[ProposalStatus, list[Proposal]]:
    """The residence's proposals by status (what is happening first), newest first."""
    found = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.residence_id == residence_id)
        .options(joinedload(Proposal.author).joinedload(Membership.user))
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
    ).all()
    groups: dict[ProposalStatus, list[Proposal]] = {status: [] for status in STATUS_ORDER}
    for proposal in found:
        groups[proposal.status].append(proposal)
    return {status: items for status, items in groups.items() if items}


def can_edit(member: Membership | None, proposal: Proposal) -> bool:
    """The author, while it is a draft."""
    return (
        member is not None
        and member.id == proposal.author_id
        and member.is_active
        and proposal.status == ProposalStatus.DRAFT
    )


def can_move(member: Membership | None, proposal: Proposal) -> bool:
    return has_role_here(member, Role.COMMITTEE, proposal.residence_id)


def can_comment(member: Membership | None, proposal: Proposal) -> bool:
    return (
        has_role_here(member, Role.RESIDENT, proposal.residence_id)
        and proposal.status in OPEN_TO_COMMENTS
    )


def edit_proposal(
    actor: Membership,
    proposal: Proposal,
    title: str,
    rule_text: str,
    *,
    why: str = "",
    summary: str = "",
    change: ChangeKind = ChangeKind.CREATE,
    article: Article | None = None,
) -> Proposal:
    """The author changes their draft (nobody else, and only while it is a draft)."""
    if actor is None or actor.id != proposal.author_id or not actor.is_active:
        raise NotAllowed()
    if proposal.status != ProposalStatus.DRAFT:
        raise ProposalNotEditable()
    if change in (ChangeKind.CHANGE, ChangeKind.REPEAL) and (
        article is None or article.residence_id != proposal.residence_id or not article.in_force
    ):
        raise services.VoteRefused(
            _l("Choisissez l'article de la charte à changer."), field="article"
        )
    proposal.title = title.strip()
    proposal.rule_text = rule_text.strip()
    proposal.why = why.strip()
    proposal.summary = summary.strip()
    proposal.change = change
    proposal.article = article if change in (ChangeKind.CHANGE, ChangeKind.REPEAL) else None
    db.session.flush()
    return proposal


def move(actor: Membership, proposal: Proposal, status: ProposalStatus) -> Proposal:
    """The committee opens the discussion of a draft or withdraws a proposal
    (``services.move_proposal``); its author is told in their messages."""
    services.move_proposal(actor, proposal, status)
    if proposal.author_id != actor.id and proposal.author.is_active:
        messages.send(
            proposal.author,
            _moved(proposal, status),
            about=("charter.proposal", {"proposal_id": proposal.id}),
        )
    return proposal


def _moved(proposal: Proposal, status: ProposalStatus):
    def compose(tw: TimeWords) -> tuple[str, str]:
        if status == ProposalStatus.DISCUSSION:
            return (
                tw.gettext(
                    "Votre proposition « %(title)s » est en discussion", title=proposal.title
                ),
                tw.gettext(
                    "Le comité a ouvert la discussion : les habitants peuvent maintenant la "
                    "commenter. Ensuite, le comité la mettra au vote."
                ),
            )
        return (
            tw.gettext("Votre proposition « %(title)s » est retirée", title=proposal.title),
            tw.gettext(
                "Le comité a retiré votre proposition : elle ne sera pas votée. "
                "Vous pouvez en parler avec un membre du comité."
            ),
        )

    return compose


def add_comment(
    actor: Membership, proposal: Proposal, text: str, *, now: dt.datetime | None = None
) -> ProposalComment:
    """A resident of the residence says something about the proposal."""
    check_role(actor, Role.RESIDENT, proposal.residence_id)
    if proposal.status not in OPEN_TO_COMMENTS:
        raise CommentsClosed()
    text = text.strip()
    if not text:
        raise EmptyComment(field="text")
    comment = ProposalComment(
        proposal_id=proposal.id, author=actor, text=text[:COMMENT_MAX], created_at=now or utcnow()
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def comment_of(proposal: Proposal, comment_id: int) -> ProposalComment | None:
    """One comment of ``proposal`` (None if it is another proposal's)."""
    return db.session.scalar(
        sa.select(ProposalComment).where(
            ProposalComment.id == comment_id, ProposalComment.proposal_id == proposal.id
        )
    )


def hide_comment(
    actor: Membership, comment: ProposalComment, reason: str, *, now: dt.datetime | None = None
) -> ProposalComment:
    """The committee (or the coordination) hides a comment that breaks the house's rules of
    respect. The reason shows in its place, for everyone; its author is told, with the
    reason; the words are kept but never shown again. Hiding it again changes nothing."""
    proposal = comment.proposal
    check_role(actor, Role.COMMITTEE, proposal.residence_id)
    reason = " ".join(reason.split())
    if not reason:
        raise NoReason(field="reason")
    if comment.is_hidden:
        return comment
    if not _moderate(
        actor,
        comment,
        "proposal.comment_hidden",
        ProposalComment.hidden_at.is_(None),
        hidden_at=now or utcnow(),
        hidden_by_id=actor.user_id,
        hidden_reason=reason[:300],
    ):
        return comment  # someone of the committee was quicker
    title = proposal.title

    def compose(tw):
        return (
            tw.gettext("Votre commentaire a été masqué"),
            tw.gettext(
                "Votre commentaire sur « %(title)s » a été masqué par le comité des "
                "résidents. La raison donnée : %(reason)s",
                title=title,
                reason=comment.hidden_reason,
            ),
        )

    _tell_author(actor, comment, compose)
    return comment


def show_comment(actor: Membership, comment: ProposalComment) -> ProposalComment:
    """The committee (or the coordination) shows again a comment it had hidden: by
    mistake, or after talking it over with its author. Everyone reads it again, the reason
    goes, and its author is told. Showing a comment already shown changes nothing."""
    proposal = comment.proposal
    check_role(actor, Role.COMMITTEE, proposal.residence_id)
    if not _moderate(
        actor,
        comment,
        "proposal.comment_shown",
        ProposalComment.hidden_at.is_not(None),
        hidden_at=None,
        hidden_by_id=None,
        hidden_reason="",
    ):
        return comment
    title = proposal.title

    def compose(tw):
        return (
            tw.gettext("Votre commentaire est de nouveau visible"),
            tw.gettext(
                "Votre commentaire sur « %(title)s » est de nouveau visible : le comité "
                "des résidents l'a rétabli.",
                title=title,
            ),
        )

    _tell_author(actor, comment, compose)
    return comment


def _moderate(actor: Membership, comment: ProposalComment, action: str, condition, **values):
    """Hide or show ``comment`` in one conditional UPDATE (two of the committee at once:
    one changes it); audited when it changed. The comment is read afresh either way."""
    changed = db.session.execute(
        sa.update(ProposalComment)
        .where(ProposalComment.id == comment.id, condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(comment)
    if changed:
        record(action, actor=actor, target=comment.proposal, details=f"comment {comment.id}")
    return changed == 1


def _tell_author(actor: Membership, comment: ProposalComment, compose) -> None:
    """A message to the comment's author about what the committee did with it (unless they
    did it themselves, or have left)."""
    if comment.author_id == actor.id or not comment.author.is_active:
        return
    messages.send(
        comment.author,
        compose,
        about=(
            "charter.proposal",
            {"proposal_id": comment.proposal_id, "_anchor": f"comment-{comment.id}"},
        ),
    )


def comments_of(proposal: Proposal) -> list[ProposalComment]:
    """The discussion, oldest first (it reads as a conversation)."""
    return list(
        db.session.scalars(
            sa.select(ProposalComment)
            .where(ProposalComment.proposal_id == proposal.id)
            .options(joinedload(ProposalComment.author).joinedload(Membership.user))
            .order_by(ProposalComment.created_at, ProposalComment.id)
        )
    )


@dataclass
class Change:
    """What a proposal does to the charter, as before / after. ``before`` is None for a new
    article; ``after`` is None for a repeal."""

    kind: ChangeKind
    article: Article | None
    before: str | None
    after: str | None


def change_of(proposal: Proposal) -> Change:
    article = proposal.article
    if proposal.change == ChangeKind.QUESTION:  # the charter is untouched
        return Change(proposal.change, None, None, None)
    if proposal.change == ChangeKind.CREATE:
        return Change(proposal.change, article, None, proposal.rule_text)
    # Once adopted, the article has moved on: the "before" is the text it replaced.
    adopted = proposal.status == ProposalStatus.ADOPTED
    before = proposal.previous_text if adopted else article.text
    after = proposal.rule_text if proposal.change == ChangeKind.CHANGE else None
    return Change(proposal.change, article, before, after)


def votes_on(proposal: Proposal) -> list[Vote]:
    """The votes on a proposal, latest first (one, as a rule)."""
    return list(
        db.session.scalars(
            sa.select(Vote)
            .where(Vote.proposal_id == proposal.id)
            .order_by(Vote.opens_at.desc(), Vote.id.desc())
        )
    )


# ---------------------------------------------------------------------------------------
# Closing on read: a vote whose closing time has passed is closed by whoever reads a page
# that shows it (its result, the charter it changed), whether or not a job ran.


def _passed(residence_id: int, now: dt.datetime):
    return sa.select(Vote).where(
        Vote.residence_id == residence_id, Vote.closed_at.is_(None), Vote.closes_at <= now
    )


def due_to_close(residence_id: int, now: dt.datetime) -> bool:
    """A vote of the residence has passed its closing time but is not closed yet."""
    return db.session.scalar(sa.select(_passed(residence_id, now).exists())) or False


def close_due(residence_id: int, now: dt.datetime) -> int:
    """Close the residence's votes whose closing time has passed (their result settled, the
    charter changed); how many."""
    votes = db.session.scalars(_passed(residence_id, now)).all()
    for vote in votes:
        services.refresh_status(vote, now)
    return len(votes)


# ---------------------------------------------------------------------------------------
# The charter


@dataclass
class Adoption:
    """One adopted change of an article: the proposal, the vote, its date."""

    proposal: Proposal
    vote: Vote | None
    when: dt.datetime


def _adoptions(residence_id: int, article_ids: list[int] | None = None) -> list[Adoption]:
    query = (
        sa.select(Proposal, Vote)
        .join(Vote, sa.and_(Vote.proposal_id == Proposal.id, Vote.adopted.is_(True)))
        .where(
            Proposal.residence_id == residence_id,
            Proposal.status == ProposalStatus.ADOPTED,
            Proposal.article_id.is_not(None),
        )
        .order_by(Vote.closes_at, Vote.id)
    )
    if article_ids is not None:
        query = query.where(Proposal.article_id.in_(article_ids))
    return [
        Adoption(proposal, vote, vote.closed_at or vote.closes_at)
        for proposal, vote in db.session.execute(query).all()
    ]


@dataclass
class CharterArticle:
    article: Article
    # The vote that adopted its current words (None: the founding charter).
    adoption: Adoption | None
    # Proposals to change or repeal it, being discussed or voted on now.
    pending: list[Proposal] = field(default_factory=list)


def charter_of(residence_id: int) -> list[CharterArticle]:
    """The articles in force, in order, each with the vote that adopted its current text."""
    articles = services.charter(residence_id)
    last: dict[int, Adoption] = {}
    ids = [a.id for a in articles]
    for adoption in _adoptions(residence_id, ids):
        last[adoption.proposal.article_id] = adoption
    pending: dict[int, list[Proposal]] = {}
    for proposal in db.session.scalars(
        sa.select(Proposal)
        .where(
            Proposal.residence_id == residence_id,
            Proposal.article_id.in_(ids),
            Proposal.status.in_((ProposalStatus.DISCUSSION, ProposalStatus.VOTING)),
        )
        .order_by(Proposal.id)
    ):
        pending.setdefault(proposal.article_id, []).append(proposal)
    return [
        CharterArticle(article, last.get(article.id), pending.get(article.id, []))
        for article in articles
    ]


def article_history(article: Article) -> list[Adoption]:
    """Every adopted change of the article, oldest first (its creation, its changes, its
    repeal)."""
    return _adoptions(article.residence_id, [article.id])


def articles_of(residence_id: int) -> list[Article]:
    """The articles in force, to pick the one a proposal changes."""
    return services.charter(residence_id)


# ---------------------------------------------------------------------------------------
# Minutes (procès-verbal)


@dataclass
class Minutes:
    vote: Vote
    proposal: Proposal
    outcome: services.Result
    settings: list[str]
    electorate_words: str
    turnout: str
    summary: str
    rule: str
    channels: dict[Channel, int]
    charter_changed: dt.datetime | None
    secret_weak: bool
    change: Change


def settings_said(tw: TimeWords, vote: Vote, outcome: services.Result) -> list[str]:
    """A closed vote's settings in plain words, in the past (for its minutes)."""
    if vote.electorate == Electorate.HOMES:
        said = [tw.gettext("Chaque foyer avait une voix.")]
    elif vote.electorate == Electorate.COMMITTEE:
        said = [tw.gettext("Seuls les membres du comité votaient.")]
    else:
        said = [tw.gettext("Chaque habitant avait une voix.")]
    if outcome.quorum:
        said.append(
            tw.ngettext(
                "Il fallait qu'au moins %(num)d votant sur %(total)d prenne part au vote "
                "(%(percent)d %%).",
                "Il fallait qu'au moins %(num)d votants sur %(total)d prennent part au vote "
                "(%(percent)d %%).",
                outcome.quorum,
                total=outcome.electorate,
                percent=vote.quorum_percent,
            )
        )
    else:
        said.append(tw.gettext("Il n'y avait pas de nombre minimum de votants."))
    if vote.is_question:
        said.append(
            tw.gettext(
                "Les choix proposés : %(choices)s.",
                choices=", ".join(vote.choice_words.values()),
            )
        )
        said.append(
            tw.gettext(
                "Le choix qui avait le plus de voix l'emportait ; à égalité en tête, aucun "
                "choix ne l'emportait."
            )
        )
        if ABSTENTION in vote.option_keys:
            said.append(tw.gettext("Les abstentions ne comptaient pour aucun choix."))
    else:
        rule = services.rule_words(tw, vote.majority, vote.abstentions_cast, outcome.electorate)
        said.append(tw.gettext("Pour que la règle soit adoptée, %(rule)s.", rule=rule))
        said.append(
            tw.gettext("Les abstentions comptaient comme des votes exprimés.")
            if vote.abstentions_cast
            else tw.gettext("Les abstentions ne comptaient pas parmi les votes exprimés.")
        )
    said.append(
        tw.gettext("Le vote était secret.") if vote.secret else tw.gettext("Le vote était public.")
    )
    return said


def _electorate_words(tw: TimeWords, vote: Vote, outcome: services.Result) -> str:
    num = outcome.electorate
    if vote.electorate == Electorate.HOMES:
        return tw.ngettext("%(num)d foyer pouvait voter.", "%(num)d foyers pouvaient voter.", num)
    if vote.electorate == Electorate.COMMITTEE:
        return tw.ngettext(
            "%(num)d membre du comité pouvait voter.",
            "%(num)d membres du comité pouvaient voter.",
            num,
        )
    return tw.ngettext("%(num)d habitant pouvait voter.", "%(num)d habitants pouvaient voter.", num)


def minutes(tw: TimeWords, vote: Vote, *, now: dt.datetime) -> Minutes:
    """What the minutes of a closed vote say: never anything that tells a secret choice
    (participation by channel is counted, not named; the choices only as totals)."""
    services.refresh_status(vote, now)
    if vote.closed_at is None:
        raise VoteNotClosed()
    outcome = services.result(vote)
    channels = Counter(
        dict(
            db.session.execute(
                sa.select(Participation.channel, sa.func.count())
                .where(Participation.vote_id == vote.id)
                .group_by(Participation.channel)
            ).all()
        )
    )
    proposal = vote.proposal
    return Minutes(
        vote=vote,
        proposal=proposal,
        outcome=outcome,
        settings=settings_said(tw, vote, outcome),
        electorate_words=_electorate_words(tw, vote, outcome),
        turnout=services._turnout(tw, outcome),
        summary=services.summary(tw, outcome),
        rule=services.rule_words(tw, vote.majority, vote.abstentions_cast, outcome.electorate),
        channels={channel: channels[channel] for channel in Channel if channels[channel]},
        charter_changed=vote.closed_at if vote.adopted and not vote.is_question else None,
        secret_weak=services.secrecy_is_weak(vote, outcome),
        change=change_of(proposal),
    )


# ---------------------------------------------------------------------------------------
# Reminders


def _due(now: dt.datetime):
    """Votes open now that close within a day and whose reminder is not sent yet."""
    return (
        sa.select(Vote.id)
        .where(
            Vote.closed_at.is_(None),
            Vote.opens_at <= now,
            Vote.closes_at > now,
            Vote.closes_at <= now + REMIND_BEFORE,
            ~sa.exists().where(VoteReminder.vote_id == Vote.id),
        )
        .order_by(Vote.closes_at, Vote.id)
    )


def not_voted(vote: Vote) -> list[Membership]:
    """The eligible members who have not voted (in a vote per home: the members of the
    homes that have not voted)."""
    keys = set(
        db.session.scalars(
            sa.select(Participation.voter_key).where(Participation.vote_id == vote.id)
        )
    )
    members = db.session.scalars(
        services._eligible_members(vote)
        .options(joinedload(Membership.user).load_only(User.locale, User.email))
        .order_by(Membership.id)
    ).all()
    return [m for m in members if services.voter_key(m, vote) not in keys]


def _claim(vote_id: int, now: dt.datetime) -> bool:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    claimed = db.session.scalar(
        insert(VoteReminder)
        .values(vote_id=vote_id, sent_at=now, recipients=0)
        .on_conflict_do_nothing(index_elements=["vote_id"])
        .returning(VoteReminder.vote_id)
    )
    return claimed is not None


def _reminder(vote: Vote):
    homes = vote.electorate == services.Electorate.HOMES

    def compose(tw: TimeWords) -> tuple[str, str]:
        subject = tw.gettext("Vote : plus qu'un jour pour voter")
        body = [
            tw.gettext(
                "Le vote « %(title)s » se termine le %(when)s.",
                title=vote.proposal.title,
                when=tw.moment(vote.closes_at),
            ),
            tw.gettext("Votre foyer n'a pas encore voté.")
            if homes
            else tw.gettext("Vous n'avez pas encore voté."),
            tw.gettext(
                "Vous pouvez voter dans l'application, ou demander un bulletin papier "
                "à la coordination."
            ),
        ]
        return subject, "\n\n".join(body)

    return compose


@dataclass
class Reminded:
    votes: int = 0
    messages: int = 0


def send_reminders(*, now: dt.datetime | None = None) -> Reminded:
    """Remind, once, the members who have not voted of each vote closing within a day.
    Commits (it is a job, not a request): each vote in a transaction of its own."""
    now = now or utcnow()
    due = db.session.scalars(_due(now)).all()
    db.session.rollback()
    done = Reminded()
    for vote_id in due:
        write_lock(db.session)
        if not _claim(vote_id, now):
            db.session.rollback()
            continue  # another server has sent it
        vote = db.session.get(
            Vote, vote_id, options=[selectinload(Vote.proposal)], populate_existing=True
        )
        recipients = not_voted(vote)
        compose = _reminder(vote)
        for member in recipients:
            messages.send(
                member, compose, about=("charter.proposal", {"proposal_id": vote.proposal_id})
            )
        db.session.execute(
            sa.update(VoteReminder)
            .where(VoteReminder.vote_id == vote_id)
            .values(recipients=len(recipients))
        )
        db.session.commit()
        done.votes += 1
        done.messages += len(recipients)
    return done
