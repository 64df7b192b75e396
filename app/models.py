"""Every model, imported in one place for Alembic and ``create_all``."""

from app.activities.models import Activity, Registration
from app.bookings.models import Booking, BookingSeries, SeriesSkip
from app.core.audit import AuditEvent, AuditSummary
from app.messages.models import Message
from app.residences.models import Home, Membership, Organisation, Residence
from app.residents.models import Invitation
from app.rooms.models import Closure, Room, RoomOpening, RoomUnit
from app.users.models import User
from app.votes.models import (
    Article,
    Ballot,
    Participation,
    Proposal,
    ProposalComment,
    Vote,
    VoteReminder,
    VoteTally,
)

__all__ = [
    "Article",
    "Ballot",
    "Participation",
    "Proposal",
    "ProposalComment",
    "Vote",
    "VoteReminder",
    "VoteTally",
    "Activity",
    "AuditEvent",
    "AuditSummary",
    "Booking",
    "BookingSeries",
    "Closure",
    "Home",
    "Invitation",
    "Message",
    "Membership",
    "Organisation",
    "Registration",
    "Residence",
    "Room",
    "RoomOpening",
    "RoomUnit",
    "SeriesSkip",
    "User",
]
