"""Indico-style factories: one ``create_x(**params)`` callable per object, with sensible
defaults. Rooms and bookings go through their services, so they are always valid."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.permissions import Role
from app.core.timeutils import Period, local_today
from app.extensions import db
from app.residences.models import Home, Membership, Organisation, Residence
from app.users.models import User
from app.users.services import hash_password

PASSWORD = "correct horse battery"  # noqa: S105
EVERY_DAY = [(day, dt.time(8), dt.time(22)) for day in range(7)]
_counter = itertools.count(1)


def member(user: User, residence: Residence | None = None) -> Membership:
    """``user``'s membership (of ``residence``, or their first): what services take."""
    db.session.refresh(user)
    for membership in user.memberships:
        if residence is None or membership.residence_id == residence.id:
            return membership
    raise LookupError(f"{user.username} is not a member of {residence}")


def today_in(residence: Residence) -> dt.date:
    """Today in the residence's time zone (the app's "today", not the machine's)."""
    return local_today(residence.tz, utcnow())


def local_period(residence: Residence, start: dt.datetime, end: dt.datetime) -> Period:
    return Period.from_local(start, end, residence.tz)


@pytest.fixture
def create_residence(session):
    def _create(name: str | None = None, organisation: Organisation | None = None, **kw):
        if organisation is None:
            organisation = Organisation(name=f"Bailleur {next(_counter)}")
        residence = Residence(
            name=name or f"Résidence {next(_counter)}", organisation=organisation, **kw
        )
        session.add(residence)
        session.commit()
        return residence

    return _create


@pytest.fixture
def create_user(session, create_residence):
    def _create(
        username: str | None = None,
        *,
        residence: Residence | None = None,
        role: Role = Role.RESIDENT,
        home: str | None = None,
        password: str | None = PASSWORD,
        full_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        locale: str = "fr",
    ) -> User:
        n = next(_counter)
        residence = residence or create_residence()
        user = User(
            username=username or f"person{n}",
            full_name=full_name or f"Personne {n}",
            email=email,
            phone=phone,
            password_hash=hash_password(password) if password else None,
            locale=locale,
        )
        home_obj = None
        if home:
            home_obj = session.scalar(
                sa.select(Home).where(Home.residence_id == residence.id, Home.label == home)
            ) or Home(residence=residence, label=home)
        session.add_all(
            [user, Membership(user=user, residence=residence, role=role, home=home_obj)]
        )
        session.commit()
        return user

    return _create


@pytest.fixture
def add_membership(session):
    def _add(user: User, residence: Residence, role: Role = Role.RESIDENT) -> Membership:
        membership = Membership(user=user, residence=residence, role=role)
        session.add(membership)
        session.commit()
        return membership

    return _add


@pytest.fixture
def create_room(session, create_user):
    """A room made by its residence's coordinator (one is added if none is given)."""

    def _create(residence: Residence, *, by: User | None = None, **fields):
        from app.rooms.services import create_room

        if by is None:
            by = create_user(residence=residence, role=Role.COORDINATOR)
        fields.setdefault("name", "Salle commune")
        fields.setdefault("openings", EVERY_DAY)
        room = create_room(member(by, residence), **fields)
        session.commit()
        return room

    return _create


@pytest.fixture
def create_booking(session):
    """``user`` books ``room`` from ``start`` to ``end`` (local times of the residence)."""

    def _create(user: User, room, start: dt.datetime, end: dt.datetime, **kw):
        from app.bookings.services import reserve

        residence = room.residence
        if "for_user" in kw and isinstance(kw["for_user"], User):
            kw["for_user"] = member(kw["for_user"], residence)
        booking = reserve(member(user, residence), room, local_period(residence, start, end), **kw)
        session.commit()
        return booking

    return _create


@pytest.fixture
def create_activity(session, create_user):
    """An activity planned by its residence's coordinator (one is added if none is given),
    in the room ``room`` (or the garden), from ``start`` to ``end`` (local times; by default
    tomorrow at 14 h, an hour and a half)."""

    def _create(residence: Residence, *, by: User | None = None, start=None, end=None, **fields):
        from app.activities.models import Category, PlaceKind
        from app.activities.services import Plan, create_activity

        if by is None:
            by = create_user(residence=residence, role=Role.COORDINATOR)
        if start is None:
            start = dt.datetime.combine(today_in(residence) + dt.timedelta(days=1), dt.time(14))
        end = end or start + dt.timedelta(minutes=90)
        fields.setdefault("title", "Gym douce")
        fields.setdefault("category", Category.ANIMATION)
        fields.setdefault("capacity", 10)
        if fields.get("room") is None:
            fields.setdefault("place_kind", PlaceKind.GARDEN)
        plan = Plan(period=local_period(residence, start, end), **fields)
        activity = create_activity(member(by, residence), plan)
        session.commit()
        return activity

    return _create


@pytest.fixture
def two_residences(create_residence, create_user):
    """Armentières and Bézu with a coordinator and a resident each."""
    arm = create_residence("Armentières")
    bezu = create_residence("Bézu", organisation=arm.organisation)
    people = {
        "arm_coord": create_user("coord.arm", residence=arm, role=Role.COORDINATOR),
        "arm_res": create_user("res.arm", residence=arm, home="A01"),
        "arm_committee": create_user("comite.arm", residence=arm, role=Role.COMMITTEE),
        "bezu_coord": create_user("coord.bezu", residence=bezu, role=Role.COORDINATOR),
        "bezu_res": create_user("res.bezu", residence=bezu, home="M01"),
    }
    db.session.expire_all()
    return arm, bezu, people
