"""Indico-style factories: ``create_x(**params)`` callables with sensible defaults."""

from __future__ import annotations

import itertools

import pytest

from app.core.permissions import Role
from app.extensions import db
from app.residences.models import Home, Membership, Organisation, Residence
from app.users.models import User
from app.users.services import hash_password

PASSWORD = "correct horse battery"  # noqa: S105
_counter = itertools.count(1)


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
        locale: str = "fr",
    ) -> User:
        n = next(_counter)
        residence = residence or create_residence()
        user = User(
            username=username or f"person{n}",
            full_name=full_name or f"Personne {n}",
            email=email,
            password_hash=hash_password(password) if password else None,
            locale=locale,
        )
        home_obj = None
        if home:
            home_obj = Home(residence=residence, label=home)
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
