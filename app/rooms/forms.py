"""The coordinator's forms of rooms: a room and its rules, a closure.

Forms check what was typed (a number, a time, a file small enough); the rules of rooms are in
the services, and pictures are checked and cleaned by ``core.uploads``.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from app.core.forms import date_field, number_field, time_field
from app.core.i18n import lazy_gettext as _l
from app.core.timeutils import Period
from app.core.uploads import MAX_BYTES
from app.rooms.models import NAME_MAX, BookingMode


class OpeningForm(Form):
    """One weekday: open or not, and its opening window (local time)."""

    is_open = BooleanField(_l("Ouvert ce jour-là"))
    opens = time_field(_l("Ouvre à"), required=False)
    closes = time_field(_l("Ferme à"), required=False)

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
        if field.data == dt.time(0, 0):
            # A booking stays within one day (only the guest room counts nights), so a room
            # open "until midnight" closes at 23:59; said plainly rather than "after opening".
            raise ValidationError(
                _l("Une salle ferme au plus tard à 23:59 : une réservation ne passe pas minuit.")
            )
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
    name_en = StringField(
        _l("Nom de la salle en anglais"),
        description=_l(
            "Pour les habitants qui lisent l'application en anglais. Sinon, ils voient le nom "
            "en français."
        ),
        validators=[Optional(), Length(max=120, message=_l("120 caractères au plus."))],
    )
    description_en = TextAreaField(
        _l("Description en anglais"),
        validators=[Optional(), Length(max=2000, message=_l("2000 caractères au plus."))],
    )
    capacity = number_field(
        _l("Nombre de personnes au plus"), minimum=1, maximum=1000, required=False
    )
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
    slot_minutes = number_field(
        _l("Les réservations commencent toutes les … minutes"),
        minimum=5,
        maximum=1440,
        description=_l("Par exemple 30 : on peut réserver à 14 h, 14 h 30, 15 h…"),
        default=60,
    )
    min_hours = number_field(_l("Heures"), maximum=24 * 14, default=1)
    min_mins = number_field(_l("Minutes"), maximum=59, default=0)
    max_hours = number_field(_l("Heures"), maximum=24 * 14, default=4)
    max_mins = number_field(_l("Minutes"), maximum=59, default=0)
    # By nights.
    min_nights = number_field(_l("Nombre de nuits au moins"), minimum=1, maximum=60, default=1)
    max_nights = number_field(_l("Nombre de nuits au plus"), minimum=1, maximum=60, default=3)
    checkin_time = time_field(_l("Arrivée à partir de"))
    checkout_time = time_field(_l("Départ au plus tard à"))
    # For every room.
    max_days_ahead = number_field(
        _l("On peut réserver jusqu'à … jours à l'avance"), minimum=1, maximum=730, default=60
    )
    cancel_hours = number_field(
        _l("On peut annuler jusqu'à … heures avant le début"),
        maximum=24 * 60,
        description=_l("Après ce délai, il faut prévenir la coordination. 0 : jusqu'au début."),
        default=24,
    )
    per_household_week = number_field(
        _l("Réservations par logement et par semaine, au plus"),
        minimum=1,
        maximum=100,
        required=False,
        description=_l("Laissez vide s'il n'y a pas de limite."),
    )
    max_active_per_household = number_field(
        _l("Réservations à venir par logement, au plus"),
        minimum=1,
        maximum=100,
        required=False,
        description=_l("Laissez vide s'il n'y a pas de limite."),
    )
    requires_approval = BooleanField(
        _l("Chaque réservation doit être acceptée par la coordination")
    )
    buffer_minutes = number_field(
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

    def validate_photo(self, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            field.data = None
            return
        stream = upload.stream
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        if size > MAX_BYTES:
            raise ValidationError(_l("Cette image est trop lourde : 5 Mo au plus."))

    @property
    def photo_stream(self):
        """The uploaded file, or None (the service checks and cleans it)."""
        return self.photo.data.stream if self.photo.data else None

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

    def validate_units(self, field):
        for line in (field.data or "").splitlines():
            if len(" ".join(line.split())) > NAME_MAX:
                raise ValidationError(
                    _l(
                        "Un nom par ligne, de 120 caractères au plus : « %(line)s… »",
                        line=line[:30],
                    )
                )

    def unit_names(self) -> list[str]:
        return [line.strip() for line in (self.units.data or "").splitlines() if line.strip()]

    def opening_list(self) -> list[tuple[int, dt.time, dt.time]]:
        return [
            (weekday, entry.opens.data, entry.closes.data)
            for weekday, entry in enumerate(self.openings.entries)
            if entry.is_open.data
        ]

    def room_fields(self) -> dict:
        """What the room services take, from what was typed."""
        return {
            "name": self.name.data,
            "description": (self.description.data or "").strip(),
            "name_en": self.name_en.data or "",
            "description_en": (self.description_en.data or "").strip(),
            "capacity": self.capacity.data,
            "accessibility": (self.accessibility.data or "").strip(),
            "mode": BookingMode(self.mode.data),
            "slot_minutes": self.slot_minutes.data,
            "min_minutes": self.min_minutes,
            "max_minutes": self.max_minutes,
            "min_nights": self.min_nights.data,
            "max_nights": self.max_nights.data,
            "checkin_time": self.checkin_time.data,
            "checkout_time": self.checkout_time.data,
            "max_days_ahead": self.max_days_ahead.data,
            "cancel_hours": self.cancel_hours.data,
            "per_household_week": self.per_household_week.data,
            "max_active_per_household": self.max_active_per_household.data,
            "requires_approval": self.requires_approval.data,
            "buffer_minutes": self.buffer_minutes.data,
        }

    @staticmethod
    def initial(room=None) -> dict:
        """The form's values for a new room, or for ``room``'s settings."""
        if room is None:
            return {
                "checkin_time": dt.time(15, 0),
                "checkout_time": dt.time(11, 0),
                "openings": [
                    {"is_open": True, "opens": dt.time(9, 0), "closes": dt.time(20, 0)}
                    for _day in range(7)
                ],
            }
        data = {
            name: getattr(room, name)
            for name in (
                "name",
                "description",
                "name_en",
                "description_en",
                "capacity",
                "accessibility",
                "slot_minutes",
                "min_nights",
                "max_nights",
                "checkin_time",
                "checkout_time",
                "max_days_ahead",
                "cancel_hours",
                "per_household_week",
                "max_active_per_household",
                "requires_approval",
                "buffer_minutes",
                "archived",
            )
        }
        data["mode"] = room.mode.value
        data["min_hours"], data["min_mins"] = divmod(room.min_minutes, 60)
        data["max_hours"], data["max_mins"] = divmod(room.max_minutes, 60)
        data["units"] = "\n".join(unit.name for unit in room.units) if room.has_units else ""
        data["openings"] = []
        for weekday in range(7):
            windows = room.openings_on(weekday)
            if windows:
                data["openings"].append(
                    {"is_open": True, "opens": windows[0].opens, "closes": windows[0].closes}
                )
            else:
                data["openings"].append({"is_open": False, "opens": None, "closes": None})
        return data


def _total(hours, minutes) -> int:
    return (hours or 0) * 60 + (minutes or 0)


class ClosureForm(FlaskForm):
    start_date = date_field(_l("Date de début"))
    start_time = time_field(_l("Heure de début"))
    end_date = date_field(_l("Date de fin"))
    end_time = time_field(_l("Heure de fin"))
    reason = StringField(
        _l("Raison"),
        description=_l("Les habitants la liront, par exemple « Travaux de peinture »."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
    )
    # Set by the confirmation step, once the coordinator has seen whom the closure concerns.
    confirm = HiddenField()

    def period(self, tz: ZoneInfo) -> Period:
        return Period.from_local(
            dt.datetime.combine(self.start_date.data, self.start_time.data),
            dt.datetime.combine(self.end_date.data, self.end_time.data),
            tz,
        )
