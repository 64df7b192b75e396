"""Votes on the house rules (charte de vie): proposals, the votes on them, and the charter
they change.

Secret means secret. For a secret vote, *who took part* (``Participation``) and *what was
chosen* (``VoteTally``, one counter per option) are stored apart, with nothing that joins
them: no ballot row, no key between the two, no timestamp on either, and counters rather
than rows (a counter has no insertion order). A participation and the counter it goes with
are written in the same transaction; every counter of the vote is rewritten by that
transaction (``+ 1`` on the chosen one, ``+ 0`` on the others), so that even the database's
own bookkeeping (PostgreSQL's ``xmin``) names no option. A public vote keeps each person's
``Ballot``, which they may change until the close.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, UTCDateTime, utcnow
from app.core.i18n import lazy_gettext as _l
from app.extensions import db
from app.residences.models import Membership


def _enum(kind, length: int = 24):
    return sa.Enum(
        kind, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


class Article(TimestampMixin, db.Model):
    """An article of a residence's charter. A repealed one stays, out of force, for the
    history; the proposals adopted on it (``Proposal.article_id``) are that history."""

    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(160))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    in_force: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("residence_id", "number"),
        sa.CheckConstraint("number >= 1", name="number"),
    )


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    DISCUSSION = "discussion"
    VOTING = "voting"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return PROPOSAL_STATUS_LABELS[self]


PROPOSAL_STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("Brouillon"),
    ProposalStatus.DISCUSSION: _l("En discussion"),
    ProposalStatus.VOTING: _l("Au vote"),
    ProposalStatus.ADOPTED: _l("Adoptée"),
    ProposalStatus.REJECTED: _l("Rejetée"),
    ProposalStatus.WITHDRAWN: _l("Retirée"),
}


class ChangeKind(enum.StrEnum):
    """What an adopted proposal does to the charter."""

    CREATE = "create"
    CHANGE = "change"
    REPEAL = "repeal"
    # A question with several named choices ("Quel jour pour la sortie au marché ?"): no
    # article, and the charter is untouched whatever the result.
    QUESTION = "question"


class Proposal(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    rule_text: Mapped[str] = mapped_column(sa.Text, default="")
    why: Mapped[str] = mapped_column(sa.Text, default="")
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[ProposalStatus] = mapped_column(
        _enum(ProposalStatus), default=ProposalStatus.DRAFT
    )
    change: Mapped[ChangeKind] = mapped_column(_enum(ChangeKind), default=ChangeKind.CREATE)
    # The article changed or repealed; for a new one, set when the proposal is adopted.
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("article.id"), index=True)
    # The article's text before the adoption (the "before" of before / after).
    previous_text: Mapped[str] = mapped_column(sa.Text, default="")

    author: Mapped[Membership] = relationship()
    article: Mapped[Article | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "change IN ('create', 'question') OR article_id IS NOT NULL", name="article"
        ),
    )


class Electorate(enum.StrEnum):
    RESIDENTS = "residents"  # every resident, one vote each
    HOMES = "homes"  # one vote per home
    COMMITTEE = "committee"  # the committee's members


class Majority(enum.StrEnum):
    MORE_FOR_THAN_AGAINST = "more_for_than_against"
    TWO_THIRDS_OF_CAST = "two_thirds_of_cast"
    MAJORITY_OF_ELECTORATE = "majority_of_electorate"
    # A question's rule: the choice with the most votes wins (abstentions aside); a tie at
    # the top, no choice wins.
    PLURALITY = "plurality"


class Channel(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"
    ROOM = "room"
    PROXY = "proxy"


DEFAULT_OPTIONS = ("pour", "contre", "abstention")
ABSTENTION = "abstention"
MAX_CHOICES = 6
# A question's choices are keyed c1 … c6 (short and safe: the ballot's ``choice`` and the
# counters' ``option``); their words are the committee's, in ``Vote.labels``.
CHOICE_KEYS = tuple(f"c{n}" for n in range(1, MAX_CHOICES + 1))


class Vote(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id"), index=True)
    electorate: Mapped[Electorate] = mapped_column(_enum(Electorate))
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # The option keys, in order, separated by commas.
    options: Mapped[str] = mapped_column(sa.String(200), default=",".join(DEFAULT_OPTIONS))
    # A question's choices in the committee's words, in the order of their keys (c1, c2,
    # …); None for a vote Pour / Contre. Shown as typed, never translated.
    labels: Mapped[list[str] | None] = mapped_column(sa.JSON)
    quorum_percent: Mapped[int] = mapped_column(default=0)
    majority: Mapped[Majority] = mapped_column(_enum(Majority))
    abstentions_cast: Mapped[bool] = mapped_column(default=False)
    secret: Mapped[bool] = mapped_column(default=True)
    results_hidden: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # Set once, by whoever first reads the vote after its close (``refresh_status``); the
    # size of the electorate is then frozen, so the result never moves afterwards.
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    electorate_size: Mapped[int | None]
    adopted: Mapped[bool | None]

    proposal: Mapped[Proposal] = relationship()

    __table_args__ = (
        sa.CheckConstraint("opens_at < closes_at", name="period"),
        sa.CheckConstraint("quorum_percent BETWEEN 0 AND 100", name="quorum"),
        # A secret vote's counts, seen while it is open, would tell who chose what.
        sa.CheckConstraint("NOT secret OR results_hidden", name="secret_hidden"),
    )

    @property
    def option_keys(self) -> list[str]:
        return self.options.split(",")

    @property
    def is_question(self) -> bool:
        """Several named choices rather than Pour / Contre."""
        return self.labels is not None

    @property
    def choice_words(self) -> dict[str, str]:
        """A question's choices by key, in the committee's words (empty for Pour / Contre)."""
        return dict(zip(CHOICE_KEYS, self.labels or (), strict=False))

    def is_open(self, now: dt.datetime) -> bool:
        return self.closed_at is None and self.opens_at <= now < self.closes_at

    def is_closed(self, now: dt.datetime) -> bool:
        return self.closed_at is not None or now >= self.closes_at


class Participation(db.Model):
    """Who took part (for the electorate and the double-vote check), never what they chose.

    No timestamp, no sequence besides the key: nothing to line up with the counters.
    ``voter_key`` is what may vote once: ``home:<id>`` in a vote per home, otherwise
    ``member:<id>``; the unique constraint settles two ballots sent at once.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote.id"))
    voter_key: Mapped[str] = mapped_column(sa.String(40))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    home_id: Mapped[int | None] = mapped_column(sa.ForeignKey("home.id"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, 12), default=Channel.ONLINE)
    # Who recorded it when it is not the voter: the proxy's holder, or the committee member
    # or coordinator at the desk (paper ballots, a show of hands). Never what was chosen.
    cast_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("membership.id"))

    __table_args__ = (sa.UniqueConstraint("vote_id", "voter_key"),)


class VoteTally(db.Model):
    """A secret vote's count for one option: a counter, nothing else."""

    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote.id"), primary_key=True)
    option: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("count >= 0", name="count"),)


class Ballot(db.Model):
    """A public vote's ballot: who chose what (changeable until the close)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote.id"))
    voter_key: Mapped[str] = mapped_column(sa.String(40))
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    option: Mapped[str] = mapped_column(sa.String(40))
    cast_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("vote_id", "voter_key"),)


class ProposalComment(db.Model):
    """A resident's word in the discussion of a proposal."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposal.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Moderation: the committee (or the coordination) hides a comment with a reason, which
    # is shown in its place; the words are kept (the committee may have to account for
    # it), never shown again.
    hidden_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    hidden_reason: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")

    author: Mapped[Membership] = relationship()
    proposal: Mapped[Proposal] = relationship()

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class VoteReminder(db.Model):
    """The "sent" marker of a vote's reminder (the day before its close): its one row is
    claimed by an INSERT that only one transaction can make, so two servers running
    ``flask vote-reminders`` at once send the reminder once."""

    vote_id: Mapped[int] = mapped_column(sa.ForeignKey("vote.id"), primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # How many messages went (none to those who had voted).
    recipients: Mapped[int] = mapped_column(default=0)


class Proxy(TimestampMixin, db.Model):
    """A proxy (procuration): the principal lets the holder vote in their name, for one vote
    (``vote_id``) or for every vote open during a period (``valid_from`` to
    ``valid_until``). Revoking keeps the row (``revoked_at``) for the record."""

    id: Mapped[int] = mapped_column(primary_key=True)
    residence_id: Mapped[int] = mapped_column(sa.ForeignKey("residence.id"), index=True)
    principal_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("membership.id"), index=True)
    vote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vote.id"), index=True)
    valid_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    principal: Mapped[Membership] = relationship(foreign_keys=[principal_id])
    holder: Mapped[Membership] = relationship(foreign_keys=[holder_id])
    vote: Mapped[Vote | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("principal_id <> holder_id", name="not_oneself"),
        # Either one vote, or a period (both ends, in order): never both, never neither.
        sa.CheckConstraint(
            "(vote_id IS NOT NULL AND valid_from IS NULL AND valid_until IS NULL) OR "
            "(vote_id IS NULL AND valid_from IS NOT NULL AND valid_until IS NOT NULL "
            "AND valid_from < valid_until)",
            name="scope",
        ),
    )

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
