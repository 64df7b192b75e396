"""Residences and their members: who is where, which residence a member is looking at."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from app.core.audit import record
from app.core.errors import DomainError, NotAllowed
from app.core.i18n import lazy_gettext as _l
from app.core.permissions import Role, check_role
from app.extensions import db
from app.residences.models import Membership, Residence
from app.users.models import User


def membership_for_switch(user: User, residence_id: int) -> Membership:
    membership = user.membership_in(residence_id)
    if membership is None:
        raise NotAllowed()
    return membership


def active_members(residence_id: int) -> list[Membership]:
    """Active members of the residence, with or without an account, by name."""
    return list(
        db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .options(contains_eager(Membership.user), selectinload(Membership.home))
            .where(Membership.residence_id == residence_id, Membership.deactivated_at.is_(None))
            .order_by(sa.func.lower(User.full_name))
        )
    )


def active_member(residence_id: int, user_id: int | None) -> Membership | None:
    """``user_id``'s active membership of the residence, or None (never another residence's)."""
    if user_id is None:
        return None
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.residence_id == residence_id,
            Membership.user_id == user_id,
            Membership.deactivated_at.is_(None),
        )
    )


def set_show_booker_names(actor: Membership, show: bool) -> Residence:
    """Whether residents see who booked a room in the week view (off by default)."""
    check_role(actor, Role.COORDINATOR)
    residence = actor.residence
    residence.show_booker_names = show
    record(
        "residence.privacy",
        actor=actor,
        target=residence,
        details=f"show_booker_names={show}",
    )
    return residence


# How to reach the coordination: the longest each may be (the columns' lengths).
TOO_LONG = {30: _l("30 caractères au plus."), 200: _l("200 caractères au plus.")}
CONTACT_LIMITS = {
    "contact_phone": 30,
    "contact_hours": 200,
    "contact_place": 200,
    "contact_hours_en": 200,
    "contact_place_en": 200,
}
PHONE_CHARACTERS = frozenset("0123456789 .-()+")


class ContactRefused(DomainError):
    pass


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _check_phone(phone: str) -> str:
    """A number a phone can dial: digits, with spaces, dots, dashes or brackets between them
    and ``+`` only first (it becomes a ``tel:`` link)."""
    if not phone:
        return ""
    digits = sum(ch.isdigit() for ch in phone)
    if not set(phone) <= PHONE_CHARACTERS or "+" in phone[1:] or not 4 <= digits <= 20:
        raise ContactRefused(
            _l(
                "Ce numéro ne semble pas valable. Tapez seulement des chiffres, avec des "
                "espaces si vous voulez, par exemple 03 20 12 34 56."
            ),
            field="contact_phone",
        )
    return phone


def set_contact(
    actor: Membership,
    *,
    phone: str,
    hours: str,
    place: str,
    hours_en: str = "",
    place_en: str = "",
    proxy_limit: int | None = None,
    retention_months: int | None = None,
) -> Residence:
    """How residents reach the coordination: a phone number, office hours and the office's
    place, in words (and in English, for English readers). Each may be left empty. And how
    many months the account of someone who left is kept before it is erased (``flask
    purge``; 1 to 120)."""
    check_role(actor, Role.COORDINATOR)
    values = {
        "contact_phone": _one_line(phone),
        "contact_hours": _one_line(hours),
        "contact_place": _one_line(place),
        "contact_hours_en": _one_line(hours_en),
        "contact_place_en": _one_line(place_en),
    }
    for field, limit in CONTACT_LIMITS.items():
        if len(values[field]) > limit:
            raise ContactRefused(TOO_LONG[limit], field=field)
    values["contact_phone"] = _check_phone(values["contact_phone"])
    residence = actor.residence
    if proxy_limit is not None:
        if not 0 <= proxy_limit <= 10:
            raise ContactRefused(_l("Indiquez un nombre entre 0 et 10."), field="proxy_limit")
        if proxy_limit != residence.proxy_limit:
            record(
                "residence.proxy_limit",
                actor=actor,
                target=residence,
                details=f"{residence.proxy_limit} -> {proxy_limit}",
            )
        residence.proxy_limit = proxy_limit
    if retention_months is not None:
        if not 1 <= retention_months <= 120:
            raise ContactRefused(_l("Indiquez un nombre entre 1 et 120."), field="retention_months")
        if residence.retention_months != retention_months:
            record(
                "residence.retention",
                actor=actor,
                target=residence,
                details=f"{residence.retention_months} -> {retention_months}",
            )
        residence.retention_months = retention_months
    for field, value in values.items():
        setattr(residence, field, value)
    record("residence.contact", actor=actor, target=residence)
    return residence
