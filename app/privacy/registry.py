"""What the app holds about a person: one registry read by "Mes données" (the page and the
JSON file) and by the privacy notice, so that the notice cannot drift from the export.

Each ``Section`` says what it is (title), why it is kept (purpose), who sees it, and how
long it is kept (``Keep``, turned into words with the residence's and the deployment's
periods), and how to read the person's rows (``rows``) and put one in a sentence (``line``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.activities import services as activities
from app.activities.models import Activity, ActivityProposal, Registration, WateringSlot
from app.bookings.models import Booking, OriginKind
from app.core.audit import AuditEvent
from app.core.i18n import lazy_gettext as _l
from app.extensions import db
from app.messages.models import Message
from app.residences.models import Membership
from app.residents.models import Invitation
from app.users.models import User
from app.votes.models import Ballot, Participation, Proposal, ProposalComment, Proxy, Vote


class Keep(enum.StrEnum):
    """How long a kind of data is kept."""

    # Erased as soon as the account is closed or the person's departure is recorded; a
    # deactivated account is erased after the residence's retention period.
    UNTIL_LEFT = "until_left"
    # Kept for the residence's history without the person's name ("Ancien·ne résident·e").
    ANONYMISED = "anonymised"
    # The audit log: after the legal period, only counts per month and action remain.
    AUDIT = "audit"
    # Invitations: erased with the account, or some months after they expired.
    INVITATION = "invitation"


@dataclass
class Scope:
    """Whose data, and in which residences: all of a person's memberships when they ask
    themselves; one residence's when its coordinator prints it."""

    user: User
    memberships: list[Membership]
    now: dt.datetime

    @property
    def membership_ids(self) -> list[int]:
        return [m.id for m in self.memberships]

    @property
    def residence_ids(self) -> list[int]:
        return [m.residence_id for m in self.memberships]

    def residence_name(self, residence_id: int) -> str:
        for m in self.memberships:
            if m.residence_id == residence_id:
                return m.residence.name
        return ""


Row = dict[str, Any]


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    purpose: Any
    who_sees: Any
    keep: Keep
    rows: Callable[[Scope], list[Row]]
    line: Callable[[Any, Row], str] = field(repr=False)


def _label(value) -> str:
    return str(getattr(value, "label", value))


# -- the readers --------------------------------------------------------------------------


def _account(scope: Scope) -> list[Row]:
    u = scope.user
    return [
        {
            "name": u.full_name and str(u.full_name),
            "username": u.username,
            "email": u.email,
            "phone": u.phone,
            "created_at": u.created_at,
            "last_login_at": u.last_login_at,
            # The address itself is a key to the person's agenda: it is not printed or
            # exported (a printed copy could be lost); only that it exists.
            "calendar_feed": True,
        }
    ]


def _account_line(tw, row: Row) -> str:
    parts = [tw.gettext("Nom : %(name)s", name=row["name"])]
    if row["username"]:
        parts.append(tw.gettext("Nom d'utilisateur : %(username)s", username=row["username"]))
    parts.append(tw.gettext("E-mail : %(email)s", email=row["email"] or tw.gettext("aucun")))
    parts.append(tw.gettext("Téléphone : %(phone)s", phone=row["phone"] or tw.gettext("aucun")))
    parts.append(tw.gettext("Compte créé le %(date)s.", date=tw.date(row["created_at"])))
    if row["last_login_at"]:
        parts.append(
            tw.gettext("Dernière connexion le %(date)s.", date=tw.date(row["last_login_at"]))
        )
    parts.append(
        tw.gettext(
            "Une adresse secrète de calendrier existe (elle n'est pas recopiée ici ; "
            "vous pouvez la changer sur la page « Moi »)."
        )
    )
    return "\n".join(parts)


def _display(scope: Scope) -> list[Row]:
    u = scope.user
    return [{"language": u.locale, "text_size": u.text_size, "high_contrast": u.high_contrast}]


def _display_line(tw, row: Row) -> str:
    size = [
        tw.gettext("Texte de taille normale."),
        tw.gettext("Texte grand."),
        tw.gettext("Texte très grand."),
    ][row["text_size"]]
    contrast = (
        tw.gettext("Contraste élevé activé.")
        if row["high_contrast"]
        else tw.gettext("Contraste élevé désactivé.")
    )
    language = {"fr": "Français", "en": "English"}.get(row["language"] or "", "")
    lang = tw.gettext("Langue : %(language)s.", language=language) if language else ""
    return " ".join(p for p in (size, contrast, lang) if p)


def _memberships(scope: Scope) -> list[Row]:
    return [
        {
            "residence": m.residence.name,
            "role": m.role.value,
            "role_label": _label(m.role),
            "home": m.home.label if m.home else None,
            "since": m.created_at,
            "left_at": m.deactivated_at,
        }
        for m in scope.memberships
    ]


def _membership_line(tw, row: Row) -> str:
    text = tw.gettext(
        "%(residence)s : %(role)s, depuis le %(date)s.",
        residence=row["residence"],
        role=row["role_label"],
        date=tw.date(row["since"]),
    )
    if row["home"]:
        text += " " + tw.gettext("Logement %(home)s.", home=row["home"])
    if row["left_at"]:
        text += " " + tw.gettext("Plus d'accès depuis le %(date)s.", date=tw.date(row["left_at"]))
    return text


def _bookings(scope: Scope) -> list[Row]:
    bookings = db.session.scalars(
        sa.select(Booking)
        .where(
            Booking.user_id == scope.user.id,
            Booking.residence_id.in_(scope.residence_ids),
            Booking.origin_kind != OriginKind.ACTIVITY,
        )
        .order_by(Booking.start_at.desc())
    )
    return [
        {
            "room": b.room.name,
            "start": b.start_at,
            "end": b.end_at,
            "status": b.status.value,
            "status_label": _label(b.status),
            "purpose": b.purpose,
            "made_at": b.created_at,
            "coming": b.end_at > scope.now,
        }
        for b in bookings
    ]


def _booking_line(tw, row: Row) -> str:
    text = tw.gettext(
        "%(room)s, %(when)s : %(status)s.",
        room=row["room"],
        when=tw.period(row["start"], row["end"]),
        status=row["status_label"],
    )
    if row["purpose"]:
        text += " " + tw.gettext("Pour : %(purpose)s", purpose=row["purpose"])
    return text


def _signups(scope: Scope) -> list[Row]:
    registrations = db.session.scalars(
        sa.select(Registration)
        .join(Activity, Activity.id == Registration.activity_id)
        .where(Registration.membership_id.in_(scope.membership_ids))
        .order_by(Activity.starts_at.desc())
    )
    return [
        {
            "activity": r.activity.title,
            "start": r.activity.starts_at,
            "end": r.activity.ends_at,
            "role": r.role.value,
            "status": r.status.value,
            "waiting_position": activities.waiting_position(r),
            "joined_at": r.joined_at,
            "left_at": r.left_at,
            "attended": r.attended,
        }
        for r in registrations
    ]


def _signup_line(tw, row: Row) -> str:
    status = {
        "confirmed": tw.gettext("inscrit·e"),
        "waiting": tw.gettext("en liste d'attente (rang %(rank)s)", rank=row["waiting_position"]),
        "left": tw.gettext("désinscrit·e"),
    }[row["status"]]
    if row["role"] == "helper":
        status = tw.gettext("%(status)s pour aider", status=status)
    text = tw.gettext(
        "%(activity)s, %(when)s : %(status)s.",
        activity=row["activity"],
        when=tw.period(row["start"], row["end"]),
        status=status,
    )
    if row["attended"] is True:
        text += " " + tw.gettext("Présent·e.")
    elif row["attended"] is False:
        text += " " + tw.gettext("Absent·e.")
    return text


def _watering(scope: Scope) -> list[Row]:
    slots = db.session.scalars(
        sa.select(WateringSlot)
        .where(WateringSlot.holder_id.in_(scope.membership_ids))
        .order_by(WateringSlot.day.desc(), WateringSlot.starts.desc())
    )
    return [
        {"day": s.day, "starts": s.starts, "ends": s.ends, "offered": s.offered_at is not None}
        for s in slots
    ]


def _watering_line(tw, row: Row) -> str:
    text = tw.gettext(
        "Arrosage %(day)s, %(hours)s.",
        day=tw.day(row["day"]),
        hours=tw.hours(row["starts"], row["ends"]),
    )
    if row["offered"]:
        text += " " + tw.gettext("Proposé à un voisin.")
    return text


def _ideas(scope: Scope) -> list[Row]:
    ideas = db.session.scalars(
        sa.select(ActivityProposal)
        .where(ActivityProposal.membership_id.in_(scope.membership_ids))
        .order_by(ActivityProposal.created_at.desc())
    )
    return [
        {
            "title": p.title,
            "idea": p.idea,
            "when": p.when,
            "status": p.status.value,
            "answer": p.answer,
            "proposed_at": p.created_at,
        }
        for p in ideas
    ]


def _idea_line(tw, row: Row) -> str:
    status = {
        "pending": tw.gettext("en attente de réponse"),
        "approved": tw.gettext("acceptée"),
        "declined": tw.gettext("pas retenue"),
    }[row["status"]]
    text = tw.gettext(
        "« %(title)s », le %(date)s : %(status)s.",
        title=row["title"],
        date=tw.date(row["proposed_at"]),
        status=status,
    )
    if row["idea"]:
        text += "\n" + row["idea"]
    if row["answer"]:
        text += "\n" + tw.gettext("Réponse : %(answer)s", answer=row["answer"])
    return text


def _votes(scope: Scope) -> list[Row]:
    """That the person took part; the choice only for a public vote (its ballot is public).
    For a secret vote nothing links the person to a choice: there is none to give."""
    rows = db.session.execute(
        sa.select(Participation, Vote, Proposal)
        .join(Vote, Vote.id == Participation.vote_id)
        .join(Proposal, Proposal.id == Vote.proposal_id)
        .where(Participation.membership_id.in_(scope.membership_ids))
        .order_by(Vote.opens_at.desc())
    ).all()
    ballots = {
        (b.vote_id, b.membership_id): b
        for b in db.session.scalars(
            sa.select(Ballot).where(Ballot.membership_id.in_(scope.membership_ids))
        )
    }
    result = []
    for participation, vote, proposal in rows:
        ballot = None if vote.secret else ballots.get((vote.id, participation.membership_id))
        result.append(
            {
                "proposal": proposal.title,
                "opens": vote.opens_at,
                "closes": vote.closes_at,
                "secret": vote.secret,
                "choice": ballot.option if ballot else None,
                "channel": participation.channel.value,
            }
        )
    return result


def _proxies(scope: Scope) -> list[Row]:
    """The proxies the person gave and held: to or from whom, for which vote or period,
    whether withdrawn. Never what a secret ballot chose (a proxy holds no choice)."""
    proxies = db.session.scalars(
        sa.select(Proxy)
        .where(
            sa.or_(
                Proxy.principal_id.in_(scope.membership_ids),
                Proxy.holder_id.in_(scope.membership_ids),
            )
        )
        .order_by(Proxy.created_at.desc(), Proxy.id.desc())
    )
    return [
        {
            "given": proxy.principal_id in scope.membership_ids,
            "other": str(
                (
                    proxy.holder if proxy.principal_id in scope.membership_ids else proxy.principal
                ).user.full_name
            ),
            "vote": proxy.vote.proposal.title if proxy.vote else None,
            "from": proxy.valid_from,
            "until": proxy.valid_until,
            "given_at": proxy.created_at,
            "revoked_at": proxy.revoked_at,
        }
        for proxy in proxies
    ]


def _proxy_line(tw, row: Row) -> str:
    if row["vote"]:
        scope = tw.gettext("pour le vote « %(title)s »", title=row["vote"])
    else:
        scope = tw.gettext(
            "du %(first)s au %(last)s",
            first=tw.date(row["from"]),
            last=tw.date(row["until"] - dt.timedelta(seconds=1)),
        )
    if row["given"]:
        text = tw.gettext(
            "Le %(date)s, vous avez donné votre procuration à %(name)s %(scope)s.",
            date=tw.date(row["given_at"]),
            name=row["other"],
            scope=scope,
        )
    else:
        text = tw.gettext(
            "Le %(date)s, %(name)s vous a donné sa procuration %(scope)s.",
            date=tw.date(row["given_at"]),
            name=row["other"],
            scope=scope,
        )
    if row["revoked_at"]:
        text += " " + tw.gettext("Retirée le %(date)s.", date=tw.date(row["revoked_at"]))
    return text


def _vote_line(tw, row: Row) -> str:
    if row["secret"]:
        return tw.gettext(
            "Vote « %(title)s » (%(date)s) : vous avez voté. Le vote est secret : "
            "votre choix n'est enregistré nulle part avec votre nom.",
            title=row["proposal"],
            date=tw.date(row["opens"]),
        )
    return tw.gettext(
        "Vote « %(title)s » (%(date)s) : vous avez voté « %(choice)s ». Ce vote est public.",
        title=row["proposal"],
        date=tw.date(row["opens"]),
        choice=row["choice"] or "",
    )


def _proposals(scope: Scope) -> list[Row]:
    proposals = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.author_id.in_(scope.membership_ids))
        .order_by(Proposal.created_at.desc())
    )
    return [
        {
            "title": p.title,
            "rule_text": p.rule_text,
            "why": p.why,
            "status": p.status.value,
            "status_label": _label(p.status),
            "proposed_at": p.created_at,
        }
        for p in proposals
    ]


def _proposal_line(tw, row: Row) -> str:
    text = tw.gettext(
        "« %(title)s », le %(date)s : %(status)s.",
        title=row["title"],
        date=tw.date(row["proposed_at"]),
        status=row["status_label"],
    )
    if row["rule_text"]:
        text += "\n" + row["rule_text"]
    return text


def _comments(scope: Scope) -> list[Row]:
    rows = db.session.execute(
        sa.select(ProposalComment, Proposal.title)
        .join(Proposal, Proposal.id == ProposalComment.proposal_id)
        .where(ProposalComment.author_id.in_(scope.membership_ids))
        .order_by(ProposalComment.created_at.desc(), ProposalComment.id.desc())
    )
    return [
        {
            "proposal": title,
            "text": comment.text,
            "written_at": comment.created_at,
            "hidden_reason": comment.hidden_reason if comment.is_hidden else None,
        }
        for comment, title in rows
    ]


def _comment_line(tw, row: Row) -> str:
    text = tw.gettext(
        "Sur « %(title)s », le %(date)s :",
        title=row["proposal"],
        date=tw.date(row["written_at"]),
    )
    text += "\n" + row["text"]
    if row["hidden_reason"] is not None:
        text += "\n" + tw.gettext(
            "Masqué par le comité des résidents : %(reason)s", reason=row["hidden_reason"]
        )
    return text


def _messages(scope: Scope) -> list[Row]:
    messages = db.session.scalars(
        sa.select(Message)
        .where(Message.membership_id.in_(scope.membership_ids))
        .order_by(Message.created_at.desc(), Message.id.desc())
    )
    return [
        {"sent_at": m.created_at, "subject": m.subject, "body": m.body, "read_at": m.read_at}
        for m in messages
    ]


def _message_line(tw, row: Row) -> str:
    text = tw.gettext(
        "%(date)s : %(subject)s", date=tw.moment(row["sent_at"]), subject=row["subject"]
    )
    if row["body"]:
        text += "\n" + row["body"]
    return text


def _audit(scope: Scope) -> list[Row]:
    user_id = scope.user.id
    about = sa.or_(
        AuditEvent.actor_id == user_id,
        sa.and_(AuditEvent.target_type == "user", AuditEvent.target_id == user_id),
        sa.and_(
            AuditEvent.target_type == "membership",
            AuditEvent.target_id.in_(scope.membership_ids),
        ),
    )
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(about, AuditEvent.residence_id.in_(scope.residence_ids))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    return [
        {
            "at": e.created_at,
            "action": e.action,
            "as": "actor" if e.actor_id == user_id else "target",
            "residence": scope.residence_name(e.residence_id),
        }
        for e in events
    ]


# What an audit entry is about, in words: the part of the app, by the action's first word
# (``booking.created`` → "Réservations"). The action's code follows, as recorded.
AUDIT_AREAS = {
    "activity": lambda tw: tw.gettext("Activités"),
    "booking": lambda tw: tw.gettext("Réservations"),
    "series": lambda tw: tw.gettext("Réservations"),
    "closure": lambda tw: tw.gettext("Salles"),
    "room": lambda tw: tw.gettext("Salles"),
    "rota": lambda tw: tw.gettext("Arrosage"),
    "vote": lambda tw: tw.gettext("Votes"),
    "resident": lambda tw: tw.gettext("Compte"),
    "invitation": lambda tw: tw.gettext("Compte"),
    "password": lambda tw: tw.gettext("Compte"),
    "calendar": lambda tw: tw.gettext("Compte"),
    "residence": lambda tw: tw.gettext("Résidence"),
    "privacy": lambda tw: tw.gettext("Données personnelles"),
}


def _action_words(tw, action: str) -> str:
    area = AUDIT_AREAS.get(action.split(".", 1)[0])
    return f"{area(tw)} ({action})" if area else action


def _audit_line(tw, row: Row) -> str:
    if row["as"] == "actor":
        return tw.gettext(
            "%(date)s : vous avez fait « %(action)s ».",
            date=tw.moment(row["at"]),
            action=_action_words(tw, row["action"]),
        )
    return tw.gettext(
        "%(date)s : « %(action)s » vous concernant.",
        date=tw.moment(row["at"]),
        action=_action_words(tw, row["action"]),
    )


def _invitations(scope: Scope) -> list[Row]:
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(
            Invitation.user_id == scope.user.id,
            Invitation.residence_id.in_(scope.residence_ids),
        )
        .order_by(Invitation.created_at.desc())
    )
    # Never the code: it would open the account.
    return [
        {
            "created_at": i.created_at,
            "expires_at": i.expires_at,
            "used_at": i.used_at,
            "revoked_at": i.revoked_at,
        }
        for i in invitations
    ]


def _invitation_line(tw, row: Row) -> str:
    text = tw.gettext("Invitation imprimée le %(date)s.", date=tw.date(row["created_at"]))
    if row["used_at"]:
        text += " " + tw.gettext("Utilisée le %(date)s.", date=tw.date(row["used_at"]))
    elif row["revoked_at"]:
        text += " " + tw.gettext("Remplacée le %(date)s.", date=tw.date(row["revoked_at"]))
    else:
        text += " " + tw.gettext("Valable jusqu'au %(date)s.", date=tw.date(row["expires_at"]))
    return text


# -- the registry -------------------------------------------------------------------------

SECTIONS: tuple[Section, ...] = (
    Section(
        "account",
        _l("Votre compte"),
        _l("Pour vous connecter et pour que la coordination puisse vous joindre."),
        _l("Vous, la coordination de votre résidence et le personnel du bailleur qui la gère."),
        Keep.UNTIL_LEFT,
        _account,
        _account_line,
    ),
    Section(
        "memberships",
        _l("Vos résidences et votre logement"),
        _l("Pour savoir ce que vous pouvez faire dans l'application, et pour quel foyer."),
        _l("Vous, la coordination de votre résidence et le personnel du bailleur qui la gère."),
        Keep.ANONYMISED,
        _memberships,
        _membership_line,
    ),
    Section(
        "display",
        _l("Vos réglages d'affichage"),
        _l("Pour afficher l'application comme vous l'avez choisi."),
        _l("Vous seul·e."),
        Keep.UNTIL_LEFT,
        _display,
        _display_line,
    ),
    Section(
        "bookings",
        _l("Vos réservations"),
        _l("Pour réserver les salles sans que deux personnes aient la même."),
        _l("Vous et la coordination. Les voisins voient que la salle est prise, pas par qui."),
        Keep.ANONYMISED,
        _bookings,
        _booking_line,
    ),
    Section(
        "signups",
        _l("Vos inscriptions aux activités"),
        _l("Pour garder votre place, la liste d'attente et l'appel des présents."),
        _l("Vous, la coordination et l'organisateur de l'activité."),
        Keep.ANONYMISED,
        _signups,
        _signup_line,
    ),
    Section(
        "watering",
        _l("Vos tours d'arrosage"),
        _l("Pour que le jardin soit arrosé et que chacun sache qui s'en occupe."),
        _l("Les habitants de votre résidence."),
        Keep.ANONYMISED,
        _watering,
        _watering_line,
    ),
    Section(
        "ideas",
        _l("Vos idées d'activités"),
        _l("Pour que la coordination puisse y répondre."),
        _l("Vous et la coordination."),
        Keep.ANONYMISED,
        _ideas,
        _idea_line,
    ),
    Section(
        "votes",
        _l("Vos votes"),
        _l(
            "Pour que chacun vote une seule fois. Pour un vote secret, seulement le fait que "
            "vous avez voté, jamais votre choix."
        ),
        _l(
            "La coordination et le comité savent qui a voté. "
            "Pour un vote public, tout le monde voit les choix."
        ),
        Keep.ANONYMISED,
        _votes,
        _vote_line,
    ),
    Section(
        "proxies",
        _l("Vos procurations"),
        _l(
            "Pour que la personne qui tient une procuration puisse voter à votre place, "
            "et elle seule."
        ),
        _l("Vous, la personne concernée, la coordination et le comité."),
        Keep.ANONYMISED,
        _proxies,
        _proxy_line,
    ),
    Section(
        "proposals",
        _l("Vos propositions pour la charte"),
        _l("Pour que les habitants en discutent et votent."),
        _l("Les habitants de votre résidence."),
        Keep.ANONYMISED,
        _proposals,
        _proposal_line,
    ),
    Section(
        "comments",
        _l("Vos commentaires sur les propositions"),
        _l("Pour que les habitants discutent des propositions avant de voter."),
        _l(
            "Les habitants de votre résidence, avec votre nom. Un commentaire masqué par le "
            "comité n'est plus lu : seule la raison est montrée."
        ),
        Keep.ANONYMISED,
        _comments,
        _comment_line,
    ),
    Section(
        "messages",
        _l("Vos messages"),
        _l("Pour vous dire ce qui change pour vous."),
        _l("Vous seul·e."),
        Keep.UNTIL_LEFT,
        _messages,
        _message_line,
    ),
    Section(
        "invitations",
        _l("Vos invitations"),
        _l("Pour créer votre compte avec le code imprimé."),
        _l("Vous et la coordination."),
        Keep.INVITATION,
        _invitations,
        _invitation_line,
    ),
    Section(
        "audit",
        _l("Le journal des actions"),
        _l("Pour savoir qui a fait quoi en cas de problème. Jamais le choix d'un vote secret."),
        _l("La coordination et le bailleur, en cas de problème."),
        Keep.AUDIT,
        _audit,
        _audit_line,
    ),
)
