"""How residents reach the coordination: the coordinator sets it (residences.services)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.core.errors import DomainError, NotAllowed
from app.core.permissions import Role
from app.residences.services import set_contact
from tests.factories import member

HOURS = "le mardi et le jeudi, de 9 h à 17 h"


def test_the_coordinator_sets_the_contact_details_and_it_is_logged(two_residences, session):
    arm, _bezu, people = two_residences
    coordinator = member(people["arm_coord"], arm)
    residence = set_contact(
        coordinator,
        phone="  03 53 01 24 60 ",
        hours="le mardi\net le jeudi,   de 9 h à 17 h",
        place="Bureau au rez-de-chaussée",
    )
    assert residence is arm
    assert (arm.contact_phone, arm.contact_hours, arm.contact_place) == (
        "03 53 01 24 60",
        HOURS,
        "Bureau au rez-de-chaussée",
    )
    assert arm.has_contact and arm.contact_phone_uri == "tel:0353012460"
    event = session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "residence.contact"))
    assert (event.residence_id, event.target_id) == (arm.id, arm.id)


def test_each_detail_may_be_left_empty(two_residences):
    arm, _bezu, people = two_residences
    coordinator = member(people["arm_coord"], arm)
    set_contact(coordinator, phone="03 53 01 24 60", hours=HOURS, place="Bureau")
    set_contact(coordinator, phone="", hours="  ", place="")
    assert not arm.has_contact
    assert arm.contact_phone_uri == ""


@pytest.mark.parametrize(
    "phone, uri",
    [
        ("03.53.01.24.60", "tel:0353012460"),
        ("+33 3 53 01 24 60", "tel:+33353012460"),
        ("(03) 53-01-24-60", "tel:0353012460"),
        ("3939", "tel:3939"),
    ],
)
def test_a_phone_number_becomes_a_number_a_phone_dials(two_residences, phone, uri):
    arm, _bezu, people = two_residences
    set_contact(member(people["arm_coord"], arm), phone=phone, hours="", place="")
    assert arm.contact_phone_uri == uri


@pytest.mark.parametrize(
    "phone", ["Sophie : 03 53 01 24 60", "03 53 01 24 60 poste 2", "33+3", "123", "0" * 21]
)
def test_what_no_phone_can_dial_is_refused_next_to_the_field(two_residences, phone):
    arm, _bezu, people = two_residences
    with pytest.raises(DomainError) as refused:
        set_contact(member(people["arm_coord"], arm), phone=phone, hours="", place="")
    assert refused.value.field == "contact_phone"
    assert "Ce numéro ne semble pas valable" in str(refused.value.message)


@pytest.mark.parametrize(
    "field, values, message",
    [
        ("contact_phone", {"phone": "0" * 31}, "30 caractères au plus."),
        ("contact_hours", {"hours": "x" * 201}, "200 caractères au plus."),
        ("contact_place", {"place": "x" * 201}, "200 caractères au plus."),
    ],
)
def test_lengths_match_the_columns(two_residences, field, values, message):
    arm, _bezu, people = two_residences
    arguments = {"phone": "", "hours": "", "place": "", **values}
    with pytest.raises(DomainError) as refused:
        set_contact(member(people["arm_coord"], arm), **arguments)
    assert (refused.value.field, str(refused.value.message)) == (field, message)
    set_contact(member(people["arm_coord"], arm), phone="0" * 20, hours="x" * 200, place="x" * 200)


@pytest.mark.parametrize("who", ["arm_res", "arm_committee"])
def test_only_the_coordination_sets_them(two_residences, who):
    arm, _bezu, people = two_residences
    with pytest.raises(NotAllowed):
        set_contact(member(people[who], arm), phone="03 53 01 24 60", hours="", place="")
    assert not arm.has_contact


def test_a_deactivated_coordinator_cannot(two_residences, session):
    from app.core.db import utcnow

    arm, _bezu, people = two_residences
    coordinator = member(people["arm_coord"], arm)
    coordinator.deactivated_at = utcnow()
    with pytest.raises(NotAllowed):
        set_contact(coordinator, phone="03 53 01 24 60", hours="", place="")
    assert coordinator.role is Role.COORDINATOR
