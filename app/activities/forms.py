"""Forms of activities: the coordinator's plan, joining (as a participant or to help, or
someone on their behalf), the number of places, cancelling, the roll call; the watering
season.

Forms check what was typed; the rules (places, the waiting list, what is missing for a place
or an organiser) are in the services, which name the field they are about.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation

from app.activities.models import (
    CATEGORY_LABELS,
    EFFORT_LABELS,
    Category,
    Effort,
    OrganiserKind,
    PlaceKind,
)
from app.activities.services import EVERY_WEEKS, MOST_PLACES, Plan
from app.core.forms import IdChoiceField, date_field, number_field, time_field
from app.core.i18n import lazy_gettext as _l
from app.core.timeutils import Period, reasonable


class ActivityForm(FlaskForm):
    title = StringField(
        _l("Titre"),
        description=_l("Comme on le dira aux habitants, par exemple « Gym douce »."),
        validators=[
            DataRequired(_l("Écrivez un titre.")),
            Length(max=120, message=_l("120 caractères au plus.")),
        ],
    )
    category = RadioField(
        _l("Genre d'activité"),
        choices=[SelectChoice(c.value, CATEGORY_LABELS[c]) for c in Category],
        default=Category.ANIMATION.value,
        validators=[DataRequired(_l("Choisissez le genre d'activité."))],
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("Ce qu'on y fait, ce qu'il faut apporter."),
        validators=[Optional(), Length(max=2000, message=_l("2000 caractères au plus."))],
    )
    day = date_field(_l("Date"))
    start_time = time_field(_l("Heure de début"))
    end_time = time_field(_l("Heure de fin"))
    repeat = RadioField(
        _l("Combien de fois ?"),
        choices=[SelectChoice("0", _l("Une seule fois"))]
        + [
            SelectChoice(
                str(n), _l("Chaque semaine") if n == 1 else _l("Toutes les %(num)d semaines", num=n)
            )
            for n in EVERY_WEEKS
        ],
        default="0",
        validators=[Optional()],
    )
    until = DateField(
        _l("Dernière séance au plus tard le"),
        description=_l("Pour une activité qui revient : la série s'arrête à cette date."),
        validators=[Optional()],
    )
    place_kind = RadioField(
        _l("Où ?"),
        choices=[
            SelectChoice(PlaceKind.ROOM.value, _l("Dans une salle de la résidence")),
            SelectChoice(PlaceKind.GARDEN.value, _l("Au jardin")),
            SelectChoice(PlaceKind.OUTSIDE.value, _l("Dehors (une sortie)")),
        ],
        default=PlaceKind.ROOM.value,
        validators=[DataRequired(_l("Choisissez où."))],
    )
    room = IdChoiceField(_l("Salle"), validators=[Optional()])
    address = StringField(
        _l("Adresse de la sortie"),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
    )
    capacity = number_field(
        _l("Nombre de places"),
        minimum=1,
        maximum=MOST_PLACES,
        description=_l("Quand c'est complet, les suivants vont sur la liste d'attente."),
    )
    helper_places = number_field(
        _l("Places de bénévoles"),
        minimum=0,
        maximum=MOST_PLACES,
        default=0,
        description=_l("Par exemple des étudiants qui aident ; 0 si personne n'est attendu."),
    )
    organiser_kind = RadioField(
        _l("Qui l'organise ?"),
        choices=[
            SelectChoice(OrganiserKind.COORDINATION.value, _l("La coordination")),
            SelectChoice(OrganiserKind.RESIDENT.value, _l("Un habitant")),
            SelectChoice(OrganiserKind.PARTNER.value, _l("Un partenaire")),
        ],
        default=OrganiserKind.COORDINATION.value,
        validators=[DataRequired(_l("Choisissez qui l'organise."))],
    )
    organiser = IdChoiceField(_l("Habitant qui organise"), validators=[Optional()])
    partner_name = StringField(
        _l("Nom du partenaire"),
        description=_l("Par exemple « Association Siel Bleu »."),
        validators=[Optional(), Length(max=120, message=_l("120 caractères au plus."))],
    )
    step_free = BooleanField(_l("Accessible sans marche"))
    seated = BooleanField(_l("Se fait assis"))
    hearing_loop = BooleanField(_l("Boucle magnétique"))
    effort = SelectField(
        _l("Effort"),
        choices=[SelectChoice(str(e.value), EFFORT_LABELS[e]) for e in Effort],
        default=str(Effort.GENTLE.value),
        coerce=str,
    )

    @property
    def every(self) -> int:
        """0 for a one-off activity; else every 1, 2, 3 or 4 weeks."""
        value = self.repeat.data or "0"  # sent empty, it is a one-off too
        return int(value) if value.isascii() and value.isdecimal() else 0

    def validate_until(self, field):
        if field.data is not None and not reasonable(field.data):
            raise StopValidation(_l("Indiquez une date entre 1970 et 9000."))

    def validate(self, extra_validators=None):
        # A series needs its last date, though the field is optional for a one-off activity.
        valid = super().validate(extra_validators)
        if self.every and self.until.data is None and not self.until.errors:
            self.until.errors = [_l("Indiquez la date de la dernière séance.")]
            return False
        return valid

    room_override = StringField(
        _l("Prendre la salle quand même : pourquoi ?"),
        description=_l(
            "Les réservations ci-dessus seront annulées, et chaque personne recevra un message "
            "avec cette raison. Laissez vide pour choisir une autre heure."
        ),
        validators=[Optional(), Length(max=300, message=_l("300 caractères au plus."))],
    )

    def plan(self, tz: ZoneInfo, rooms: dict, members: dict) -> Plan:
        """What was typed, as the service takes it (local times made UTC here, once)."""
        return Plan(
            title=self.title.data,
            category=Category(self.category.data),
            description=self.description.data or "",
            period=Period.from_local(
                dt.datetime.combine(self.day.data, self.start_time.data),
                dt.datetime.combine(self.day.data, self.end_time.data),
                tz,
            ),
            place_kind=PlaceKind(self.place_kind.data),
            room=rooms.get(self.room.data),
            address=self.address.data or "",
            capacity=self.capacity.data,
            helper_places=self.helper_places.data or 0,
            organiser_kind=OrganiserKind(self.organiser_kind.data),
            organiser=members.get(self.organiser.data),
            partner_name=self.partner_name.data or "",
            step_free=self.step_free.data,
            seated=self.seated.data,
            hearing_loop=self.hearing_loop.data,
            effort=Effort(int(self.effort.data)),
            room_override=self.room_override.data or "",
        )


class EditActivityForm(ActivityForm):
    """The same plan, for a session already on the programme; a session of a series is
    changed alone or with the ones after it."""

    scope = RadioField(
        _l("Que changer ?"),
        choices=[
            SelectChoice("one", _l("Seulement cette séance")),
            SelectChoice("following", _l("Cette séance et toutes les suivantes")),
        ],
        default="one",
        validators=[Optional()],
    )


class PostponeForm(FlaskForm):
    day = date_field(_l("Nouvelle date"))
    start_time = time_field(_l("Heure de début"))
    end_time = time_field(_l("Heure de fin"))
    reason = StringField(
        _l("Raison, dite aux inscrits"),
        description=_l("Par exemple « pluie » ou « animatrice malade »."),
        validators=[
            DataRequired(_l("Écrivez la raison : les inscrits la liront.")),
            Length(max=300, message=_l("300 caractères au plus.")),
        ],
    )

    room_override = ActivityForm.room_override

    def period(self, tz: ZoneInfo) -> Period:
        return Period.from_local(
            dt.datetime.combine(self.day.data, self.start_time.data),
            dt.datetime.combine(self.day.data, self.end_time.data),
            tz,
        )


class JoinForm(FlaskForm):
    """The join button says how (``role``, the button's value); the coordinator may pick
    the person (``for_member``)."""

    role = RadioField(
        _l("Comment ?"),
        choices=[
            SelectChoice("participant", _l("Participer")),
            SelectChoice("helper", _l("Aider")),
        ],
        default="participant",
    )
    for_member = IdChoiceField(_l("Qui ?"), validators=[Optional()])


class PlacesForm(FlaskForm):
    capacity = number_field(_l("Nombre de places"), minimum=1, maximum=MOST_PLACES)
    helper_places = number_field(_l("Places de bénévoles"), minimum=0, maximum=MOST_PLACES)


class CancelActivityForm(FlaskForm):
    reason = StringField(
        _l("Raison, dite aux inscrits"),
        description=_l("Par exemple « pluie » ou « animatrice malade »."),
        validators=[
            DataRequired(_l("Écrivez la raison : les inscrits la liront.")),
            Length(max=300, message=_l("300 caractères au plus.")),
        ],
    )


class AttendanceForm(FlaskForm):
    """One tap of the roll call: who (the hidden id of each person's toggle, or chosen in
    the list for someone who came without registering) and whether they came (the
    toggle's value: the opposite of what it shows)."""

    person = IdChoiceField(
        _l("Qui est venu sans être inscrit ?"),
        validators=[InputRequired(_l("Choisissez la personne dans la liste."))],
    )
    came = RadioField(
        _l("Présence"),
        choices=[SelectChoice("1", _l("Là")), SelectChoice("0", _l("Pas là"))],
        default="1",
        validators=[InputRequired(_l("Choisissez dans la liste."))],
    )


class ProposalForm(FlaskForm):
    """A resident's idea: what, and roughly when (in their words)."""

    title = StringField(
        _l("Votre idée, en quelques mots"),
        description=_l("Par exemple « Atelier tricot » ou « Sortie au marché de Noël »."),
        validators=[
            DataRequired(_l("Écrivez votre idée en quelques mots.")),
            Length(max=120, message=_l("120 caractères au plus.")),
        ],
    )
    idea = TextAreaField(
        _l("Racontez"),
        description=_l("Ce qu'on y ferait, avec qui, ce qu'il faudrait."),
        validators=[Optional(), Length(max=2000, message=_l("2000 caractères au plus."))],
    )
    when = StringField(
        _l("Quand ?"),
        description=_l("Par exemple « le samedi après-midi » ou « avant Noël »."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
    )


class AnswerForm(FlaskForm):
    answer = StringField(
        _l("Pourquoi pas pour l'instant ?"),
        description=_l("La personne lira cette réponse dans ses messages."),
        validators=[
            DataRequired(_l("Écrivez pourquoi : la personne le lira.")),
            Length(max=300, message=_l("300 caractères au plus.")),
        ],
    )


class SeasonForm(FlaskForm):
    """The coordinator's watering season: from one day to another, a morning slot, an
    evening slot, or both (8 h – 8 h 30 and 19 h – 19 h 30 unless changed)."""

    first_day = date_field(_l("Premier jour"))
    last_day = date_field(
        _l("Dernier jour"), description=_l("Par exemple le 31 août : six mois au plus.")
    )
    morning = BooleanField(_l("Un créneau chaque matin"), default=True)
    morning_start = TimeField(_l("Heure de début"), default=dt.time(8), validators=[Optional()])
    morning_end = TimeField(_l("Heure de fin"), default=dt.time(8, 30), validators=[Optional()])
    evening = BooleanField(_l("Un créneau chaque soir"), default=True)
    evening_start = TimeField(_l("Heure de début"), default=dt.time(19), validators=[Optional()])
    evening_end = TimeField(_l("Heure de fin"), default=dt.time(19, 30), validators=[Optional()])
    note = StringField(
        _l("À savoir, pour chaque créneau"),
        description=_l("Par exemple « Les arrosoirs sont dans l'abri, la clé chez le gardien. »"),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
    )

    def validate(self, extra_validators=None):
        # The hours of a ticked slot are needed; those of an unticked one are not read.
        valid = super().validate(extra_validators)
        for wanted, fields in (
            (self.morning, (self.morning_start, self.morning_end)),
            (self.evening, (self.evening_start, self.evening_end)),
        ):
            for field in fields:
                if wanted.data and field.data is None and not field.errors:
                    field.errors = [_l("Indiquez une heure.")]
                    valid = False
        return valid

    def hours(self) -> tuple[list[tuple[dt.time, dt.time]], dict[str, str]]:
        """The ticked slots as the service takes them, and which field each refusal is
        about (``hours_<n>`` → its end time)."""
        hours, fields = [], {"hours": "morning"}
        for wanted, start, end in (
            (self.morning, self.morning_start, self.morning_end),
            (self.evening, self.evening_start, self.evening_end),
        ):
            if wanted.data:
                fields[f"hours_{len(hours)}"] = end.name
                hours.append((start.data, end.data))
        return hours, fields


class AssignSlotForm(FlaskForm):
    """The coordination puts someone on a watering slot (a neighbour without a phone)."""

    person = IdChoiceField(
        _l("Qui arrosera ?"),
        validators=[DataRequired(_l("Choisissez la personne dans la liste."))],
    )


class RemoveSlotForm(FlaskForm):
    """The coordination takes a watering slot off the rota; the reason is told to whoever
    held it."""

    reason = StringField(
        _l("Raison, dite à la personne qui l'avait pris (facultatif)"),
        description=_l("Par exemple « pluie annoncée » ou « jardin fermé pour travaux »."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
    )
