"""The coordinator's forms: a room and its rules, a closure, a weekly series, a decision.

Forms check what was typed (a number, a time, a picture); the rules of rooms and bookings
are in the services.
"""

from __future__ import annotations

import os

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from app.rooms.models import BookingMode

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# The first bytes of each accepted picture format, and the file extension it is saved with.
PHOTO_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
)


def photo_kind(head: bytes) -> str | None:
    """``png``, ``jpg`` or ``webp`` from the file's first bytes; None for anything else."""
    for signature, kind in PHOTO_SIGNATURES:
        if head.startswith(signature):
            return kind
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _number(label, *, minimum=0, maximum=10_000, required=True, **kw):
    validators = [
        InputRequired(_l("Indiquez un nombre.")) if required else Optional(),
        NumberRange(
            min=minimum,
            max=maximum,
            message=_l("Indiquez un nombre entre %(min)s et %(max)s."),
        ),
    ]
    return IntegerField(
        label, validators=validators, render_kw={"inputmode": "numeric", "min": minimum}, **kw
    )


def _time(label, *, required=True, **kw):
    validators = [
        InputRequired(_l("Indiquez une heure, par exemple 14:00.")) if required else Optional()
    ]
    return TimeField(label, validators=validators, **kw)


def _reasonable_year(form, field):
    if field.data is not None and not 1970 <= field.data.year <= 9000:
        raise ValidationError(_l("Indiquez une date entre 1970 et 9000."))


def _date(label, **kw):
    return DateField(
        label,
        validators=[InputRequired(_l("Indiquez une date.")), _reasonable_year],
        **kw,
    )


class OpeningForm(Form):
    """One weekday: open or not, and its opening window (local time)."""

    is_open = BooleanField(_l("Ouvert ce jour-là"))
    opens = _time(_l("Ouvre à"), required=False)
    closes = _time(_l("Ferme à"), required=False)

    def validate(self, extra_validators=None):
        # An open day needs both times, even though each time field is optional on its own.
        valid = super().validate(extra_validators)
        if self.is_open.data and (self.opens.data is None or self.closes.data is None):
            if not self.closes.errors:
                self.closes.errors = [_l("Indiquez l'heure d'ouverture et l'heure de fermeture.")]
            return False
        return valid

    def validate_closes(self, field):
        if not self.is_open.data:
            return
        if self.opens.data is None or field.data is None:
            raise StopValidation(_l("Indiquez l'heure d'ouverture et l'heure de fermeture."))
        if field.data <= self.opens.data:
            raise ValidationError(_l("L'heure de fermeture doit être après l'heure d'ouverture."))


class RoomForm(FlaskForm):
    name = StringField(
        _l("Nom de la salle"),
        validators=[
            DataRequired(_l("Donnez un nom à la salle.")),
            Length(max=120, message=_l("120 caractères au plus.")),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("Ce que les habitants trouveront sur place : tables, cuisine, lits…"),
        validators=[Optional(), Length(max=2000, message=_l("2000 caractères au plus."))],
    )
    capacity = _number(_l("Nombre de personnes au plus"), minimum=1, maximum=1000, required=False)
    accessibility = TextAreaField(
        _l("Accessibilité"),
        description=_l("Par exemple : de plain-pied, boucle magnétique, toilettes accessibles."),
        validators=[Optional(), Length(max=2000, message=_l("2000 caractères au plus."))],
    )
    photo = FileField(
        _l("Photo de la salle"),
        description=_l("Une image JPEG, PNG ou WebP de 5 Mo au plus."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    remove_photo = BooleanField(_l("Retirer la photo actuelle"))

    mode = RadioField(
        _l("Comment se réserve la salle ?"),
        choices=[SelectChoice(mode.value, mode.label) for mode in BookingMode],
        default=BookingMode.SLOTS.value,
        validators=[InputRequired(_l("Choisissez comment la salle se réserve."))],
    )
    # By time slots.
    slot_minutes = _number(
        _l("Les réservations commencent toutes les … minutes"),
        minimum=5,
        maximum=1440,
        description=_l("Par exemple 30 : on peut réserver à 14:00, 14:30, 15:00…"),
        default=60,
    )
    min_hours = _number(_l("Heures"), maximum=24 * 14, default=1)
    min_mins = _number(_l("Minutes"), maximum=59, default=0)
    max_hours = _number(_l("Heures"), maximum=24 * 14, default=4)
    max_mins = _number(_l("Minutes"), maximum=59, default=0)
    # By nights.
    min_nights = _number(_l("Nombre de nuits au moins"), minimum=1, maximum=60, default=1)
    max_nights = _number(_l("Nombre de nuits au plus"), minimum=1, maximum=60, default=3)
    checkin_time = _time(_l("Arrivée à partir de"))
    checkout_time = _time(_l("Départ au plus tard à"))
    # For every room.
    max_days_ahead = _number(
        _l("On peut réserver jusqu'à … jours à l'avance"), minimum=1, maximum=730, default=60
    )
    cancel_hours = _number(
        _l("On peut annuler jusqu'à … heures avant le début"),
        maximum=24 * 60,
        description=_l("Après ce délai, il faut prévenir la coordination. 0 : jusqu'au début."),
        default=24,
    )
    per_household_week = _number(
        _l("Réservations par logement et par semaine, au plus"),
        minimum=1,
        maximum=100,
        required=False,
        description=_l("Laissez vide s'il n'y a pas de limite."),
    )
    max_active_per_household = _number(
        _l("Réservations à venir par logement, au plus"),
        minimum=1,
        maximum=100,
        required=False,
        description=_l("Laissez vide s'il n'y a pas de limite."),
    )
    requires_approval = BooleanField(
        _l("Chaque réservation doit être acceptée par la coordination")
    )
    buffer_minutes = _number(
        _l("Temps de ménage entre deux réservations, en minutes"),
        maximum=24 * 60,
        description=_l("0 s'il n'en faut pas."),
        default=0,
    )

    openings = FieldList(FormField(OpeningForm), min_entries=7, max_entries=7)
    units = TextAreaField(
        _l("Équipements identiques, un nom par ligne"),
        description=_l(
            "Pour une laverie avec deux machines, écrivez « Lave-linge 1 » puis "
            "« Lave-linge 2 » sur la ligne suivante. Laissez vide pour une salle simple."
        ),
        validators=[Optional(), Length(max=2000, message=_l("2000 caractères au plus."))],
        render_kw={"rows": 3},
    )
    archived = BooleanField(_l("Archiver cette salle : elle ne se réserve plus"))

    # Set by validate_photo: the format found in the file's first bytes.
    photo_ext: str | None = None

    def validate_photo(self, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        stream = upload.stream
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        if size > PHOTO_MAX_BYTES:
            raise ValidationError(_l("Cette image est trop lourde : 5 Mo au plus."))
        kind = photo_kind(stream.read(16))
        stream.seek(0)
        if kind is None:
            raise ValidationError(
                _l("Ce fichier n'est pas une image JPEG, PNG ou WebP. Choisissez une photo.")
            )
        self.photo_ext = kind

    def validate_min_mins(self, field):
        if _total(self.min_hours.data, field.data) == 0:
            raise ValidationError(_l("La durée minimale doit être d'au moins une minute."))

    def validate_max_mins(self, field):
        if _total(self.max_hours.data, field.data) == 0:
            raise ValidationError(_l("La durée maximale doit être d'au moins une minute."))

    @property
    def min_minutes(self) -> int:
        return _total(self.min_hours.data, self.min_mins.data)

    @property
    def max_minutes(self) -> int:
        return _total(self.max_hours.data, self.max_mins.data)

    def unit_names(self) -> list[str]:
        return [line.strip() for line in (self.units.data or "").splitlines() if line.strip()]


def _total(hours, minutes) -> int:
    return (hours or 0) * 60 + (minutes or 0)


class ClosureForm(FlaskForm):
    start_date = _date(_l("Date de début"))
    start_time = _time(_l("Heure de début"))
    end_date = _date(_l("Date de fin"))
    end_time = _time(_l("Heure de fin"))
    reason = StringField(
        _l("Raison"),
        description=_l("Les habitants la liront, par exemple « Travaux de peinture »."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
    )


class SeriesForm(FlaskForm):
    weekday = SelectField(
        _l("Jour de la semaine"),
        coerce=int,
        validators=[InputRequired(_l("Choisissez le jour de la semaine."))],
    )
    start_time = _time(_l("De"))
    end_time = _time(_l("À"))
    first_date = _date(_l("À partir du"))
    until = _date(_l("Jusqu'au"))
    purpose = StringField(
        _l("Pour quoi"),
        description=_l("Par exemple : Club tricot. Les habitants le verront."),
        validators=[
            DataRequired(_l("Dites à quoi sert ce créneau.")),
            Length(max=200, message=_l("200 caractères au plus.")),
        ],
    )
    unit = SelectField(
        _l("Équipement"), coerce=int, validators=[InputRequired(_l("Choisissez l'équipement."))]
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Raison du refus"),
        description=_l("La personne la lira sur sa page."),
        validators=[
            DataRequired(_l("Indiquez la raison : la personne la lira.")),
            Length(max=300, message=_l("300 caractères au plus.")),
        ],
        render_kw={"rows": 2},
    )
