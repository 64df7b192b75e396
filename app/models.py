"""Every model, imported in one place for Alembic and ``create_all``."""

from app.core.audit import AuditEvent
from app.residences.models import Home, Membership, Organisation, Residence
from app.residents.models import Invitation
from app.users.models import User

__all__ = ["AuditEvent", "Home", "Invitation", "Membership", "Organisation", "Residence", "User"]
