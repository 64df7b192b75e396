"""Residents and invitations: the rules, without HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.audit import AuditEvent
from app.core.db import utcnow
from app.core.errors import DomainError, NotAllowed
from app.core.permissions import Role
from app.residences.models import Membership
from app.residents import services
from app.residents.models import Invitation, format_code
from app.users.services import BadUsername, UsernameTaken, WeakPassword


@pytest.fixture
def arm(two_residences):
    return two_residences[0]


@pytest.fixture
def coord(two_residences):
    return two_residences[2]["arm_coord"]


def _new(session, coord, arm, **kw):
    kw.setdefault("full_name", "Paulette Durand")
    membership, invitation, code = services.create_resident(coord, arm, **kw)
    session.commit()
    return membership, invitation, code


def test_create_resident_with_home_and_invitation(session, coord, arm):
    membership, invitation, code = _new(session, coord, arm, home_label=" b 12 ")
    assert membership.home.label == "B 12"
    assert membership.user.password_hash is None and membership.user.username is None
    assert invitation.is_usable() and not hasattr(invitation, "code")  # only its hash
    assert invitation.expires_at - utcnow() > dt.timedelta(days=29, hours=23)
    assert len(code) == 10 and code not in invitation.code_hash
    actions = {e.action for e in session.query(AuditEvent)}
    assert {"resident.created", "invitation.issued"} <= actions


def test_an_existing_home_label_is_reused(session, coord, arm):
    first, _, _ = _new(session, coord, arm, home_label="A01")
    second, _, _ = _new(session, coord, arm, full_name="Louis Durand", home_label="a01")
    assert first.home_id == second.home_id


def test_residents_cannot_add_people(session, two_residences, arm):
    resident = two_residences[2]["arm_res"]
    with pytest.raises(NotAllowed):
        services.create_resident(resident, arm, full_name="X")


def test_coordinator_of_another_residence_cannot_add_here(session, two_residences, arm):
    with pytest.raises(NotAllowed):
        services.create_resident(two_residences[2]["bezu_coord"], arm, full_name="X")


def test_roles_a_coordinator_may_give(session, coord, arm, create_user):
    assert services.assignable_roles(coord, arm) == [Role.RESIDENT, Role.COMMITTEE]
    with pytest.raises(DomainError) as error:
        _new(session, coord, arm, role=Role.COORDINATOR)
    assert error.value.field == "role"
    admin = create_user("admin", residence=arm, role=Role.LANDLORD_ADMIN)
    membership, _, _ = _new(session, admin, arm, role=Role.COORDINATOR)
    assert membership.role is Role.COORDINATOR


def test_email_must_be_unique(session, coord, arm):
    _new(session, coord, arm, email="p@example.org")
    with pytest.raises(services.EmailTaken):
        _new(session, coord, arm, full_name="Other", email="P@example.org")


def test_redeem_sets_username_and_password_once(session, coord, arm):
    membership, invitation, code = _new(session, coord, arm)
    user = services.redeem_invitation(format_code(code).lower(), "Paulette.D", "a long password!")
    session.commit()
    assert user.username == "paulette.d" and user.password_hash.startswith("$argon2id$")
    session.refresh(invitation)
    assert invitation.used_at is not None
    with pytest.raises(services.InvitationInvalid):
        services.redeem_invitation(code, "paulette.e", "a long password!")


def test_redeem_refuses_expired_codes(session, coord, arm):
    _, invitation, code = _new(session, coord, arm)
    invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    session.commit()
    with pytest.raises(services.InvitationInvalid):
        services.redeem_invitation(code, "paulette", "a long password!")


def test_redeem_checks_username_and_password_and_keeps_the_code(session, coord, arm):
    _, invitation, code = _new(session, coord, arm)
    with pytest.raises(BadUsername):
        services.redeem_invitation(code, "é!", "a long password!")
    with pytest.raises(UsernameTaken):
        services.redeem_invitation(code, "coord.arm", "a long password!")
    with pytest.raises(WeakPassword):
        services.redeem_invitation(code, "paulette", "short")
    session.rollback()
    assert session.get(Invitation, invitation.id).is_usable()


def test_reissuing_revokes_the_previous_code(session, coord, arm):
    membership, first, first_code = _new(session, coord, arm)
    second, second_code = services.issue_invitation(coord, arm, membership)
    session.commit()
    session.refresh(first)
    assert not first.is_usable()
    with pytest.raises(services.InvitationInvalid):
        services.find_usable_invitation(first_code)
    assert services.find_usable_invitation(second_code).id == second.id


def test_deactivation_keeps_the_person_and_revokes_invitations(session, coord, arm):
    membership, invitation, code = _new(session, coord, arm)
    services.set_active(coord, arm, membership, False)
    session.commit()
    assert session.get(Membership, membership.id) is not None
    assert not membership.is_active and not membership.user.is_active
    with pytest.raises(services.InvitationInvalid):
        services.find_usable_invitation(code)
    with pytest.raises(NotAllowed):
        services.issue_invitation(coord, arm, membership)
    services.set_active(coord, arm, membership, True)
    assert membership.is_active


def test_a_coordinator_cannot_deactivate_themselves_or_a_peer(session, coord, arm, create_user):
    own = coord.membership_in(arm.id)
    with pytest.raises(NotAllowed):
        services.set_active(coord, arm, own, False)
    peer = create_user("peer", residence=arm, role=Role.COORDINATOR)
    with pytest.raises(NotAllowed):
        services.set_active(coord, arm, peer.membership_in(arm.id), False)


def test_search_by_name_username_or_home(session, coord, arm, two_residences):
    _new(session, coord, arm, full_name="Paulette Durand", home_label="C07")

    def names(q, show="active"):
        return [m.user.full_name for m in services.search_members(arm, q, show=show)]

    assert names("paulette") == ["Paulette Durand"]
    assert names("c07") == ["Paulette Durand"]
    assert "Personne" not in " ".join(names("durand"))
    assert len(names("")) == 4  # three people of the fixture + Paulette
    assert names("", show="inactive") == []


def test_a_coordinator_cannot_manage_someone_who_is_staff_elsewhere(
    session, coord, arm, two_residences, add_membership
):
    _arm, bezu, people = two_residences
    # Bézu's coordinator also lives in Armentières as a resident.
    membership = add_membership(people["bezu_coord"], arm, Role.RESIDENT)
    assert not services.can_manage(coord, arm, membership)
    with pytest.raises(NotAllowed):
        services.issue_invitation(coord, arm, membership)


# -- Invitations not used yet (the coordinator's home) ----------------------------------


def test_waiting_invitations_are_those_handed_out_and_not_used(session, coord, arm, two_residences):
    assert services.waiting_invitations(coord, arm) == (0, [])
    used, _, used_code = _new(session, coord, arm, full_name="Ursule Used")
    services.redeem_invitation(used_code, "ursule", "mon jardin en juin")
    gone, _, _ = _new(session, coord, arm, full_name="Gaston Gone")
    services.set_active(coord, arm, gone, False)
    reissued, _, _ = _new(session, coord, arm, full_name="Rémi Reissued", home_label="B7")
    services.issue_invitation(coord, arm, reissued)  # the first one is replaced
    _expired, late, _ = _new(session, coord, arm, full_name="Zoé Late")
    late.expires_at = utcnow() - dt.timedelta(days=2)
    _new(session, coord, arm, full_name="alice Waiting")
    _new(session, two_residences[2]["bezu_coord"], two_residences[1], full_name="Other Place")
    session.commit()

    count, waiting = services.waiting_invitations(coord, arm)
    assert count == 3
    # Expired first (they need a new sheet), then by name whatever the case.
    assert [(w.invitation.user.full_name, w.expired) for w in waiting] == [
        ("Zoé Late", True),
        ("alice Waiting", False),
        ("Rémi Reissued", False),
    ]
    assert waiting[2].membership.home.label == "B7"
    assert waiting[2].invitation.is_usable()
    assert services.waiting_invitations(coord, arm, limit=1)[0] == 3
    assert len(services.waiting_invitations(coord, arm, limit=1)[1]) == 1


def test_a_person_with_an_account_who_got_a_new_sheet_is_waiting_too(
    session, coord, arm, two_residences
):
    """A new sheet is also how a forgotten password is replaced: until it is used, it waits."""
    resident = two_residences[2]["arm_res"]
    services.issue_invitation(coord, arm, resident.membership_in(arm.id))
    session.commit()
    count, waiting = services.waiting_invitations(coord, arm)
    assert count == 1 and waiting[0].invitation.user_id == resident.id


def test_only_the_coordination_sees_the_waiting_invitations(two_residences):
    arm, bezu, people = two_residences
    with pytest.raises(NotAllowed):
        services.waiting_invitations(people["arm_res"], arm)
    with pytest.raises(NotAllowed):
        services.waiting_invitations(people["bezu_coord"], arm)


def test_a_home_label_is_checked_once_upper_cased(session, coord, arm):
    """Issue 10, point 5: "ß" * 40 passes the form's 40 characters but becomes "SS" * 40,
    80 characters (PostgreSQL answered 500): refused next to the field."""
    with pytest.raises(DomainError) as refused:
        _new(session, coord, arm, home_label="ß" * 40)
    assert refused.value.field == "home_label"
    assert str(refused.value.message) == "40 caractères au plus."
    membership, _invitation, _code = _new(session, coord, arm, home_label="ß" * 20)
    assert membership.home.label == "SS" * 20
