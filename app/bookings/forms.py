"""Forms of reservations: review and confirm a booking, change its time, decline a request,
book every week. Input checks only: the rules are in ``app.bookings.services``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.core.forms import (
    UNREADABLE_TIME,
    HiddenIdField,
    IdChoiceField,
    LocalDateTimeField,
    LocalDateTimeSelectField,
    date_field,
    time_field,
)
from app.core.i18n import lazy_gettext as _l
from app.core.recurrence import Weekly
from app.core.timeutils import Period

UNKNOWN_UNIT = _l("Cet équipement n'existe pas dans cette salle.")
UNKNOWN_PERSON = _l("Choisissez une personne de la liste.")


class AlwaysChosen:
    """Marks a list that always has a choice (so it is not labelled "optional")."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class PeriodForm(FlaskForm):
    """``start`` and ``end``: local times of the residence (ISO 8601, DESIGN §5)."""

    # DataRequired, not InputRequired: a value of spaces only ("\xa0") is sent but reads as
    # no time at all.
    start = LocalDateTimeField(validators=[DataRequired(UNREADABLE_TIME)])
    end = LocalDateTimeSelectField(
        _l("Jusqu'à quelle heure ?"),
        validators=[InputRequired(UNREADABLE_TIME)],
    )

    @property
    def has_times(self) -> bool:
        return isinstance(self.start.data, dt.datetime) and isinstance(self.end.data, dt.datetime)

    def period(self, tz: ZoneInfo) -> Period:
        return Period.from_local(self.start.data, self.end.data, tz)


class BookingForm(PeriodForm):
    """Confirm a booking: POSTs ``start``, ``end`` (DESIGN §5), ``unit``, ``purpose`` and,
    for the coordinator, ``for_user``. Any readable end is accepted here: the service says
    whether it fits the room's rules."""

    unit = HiddenIdField(message=UNKNOWN_UNIT)
    purpose = StringField(
        _l("Pour quelle occasion ?"),
        description=_l("Par exemple : anniversaire, repas de famille."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
        render_kw={"autocomplete": "off"},
    )
    for_user = IdChoiceField(
        _l("Pour qui ?"), validators=[AlwaysChosen()], validate_choice=False, message=UNKNOWN_PERSON
    )


class NightsBookingForm(BookingForm):
    end = LocalDateTimeSelectField(
        _l("Combien de nuits ?"),
        validators=[InputRequired(UNREADABLE_TIME)],
    )


class ChangeTimeForm(PeriodForm):
    """Move a booking: the new ``start`` and ``end``."""


class ChangeNightsForm(PeriodForm):
    end = LocalDateTimeSelectField(
        _l("Combien de nuits ?"),
        validators=[InputRequired(UNREADABLE_TIME)],
    )


class CancelForm(FlaskForm):
    """Cancel a booking: the coordinator may say why (the person reads it)."""

    reason = StringField(
        _l("Pourquoi ? (la personne le lira)"),
        validators=[Optional(), Length(max=300, message=_l("300 caractères au plus."))],
    )
    next = HiddenField()


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


EVERY_CHOICES = (1, 2, 3, 4)


class SeriesForm(FlaskForm):
    purpose = StringField(
        _l("Pour quelle occasion ?"),
        description=_l("Par exemple : Club tricot. Les habitants le verront."),
        validators=[
            DataRequired(_l("Dites à quoi sert ce créneau.")),
            Length(max=200, message=_l("200 caractères au plus.")),
        ],
    )
    weekday = SelectField(
        _l("Jour de la semaine"),
        coerce=int,
        validators=[InputRequired(_l("Choisissez le jour de la semaine."))],
    )
    every = SelectField(_l("Revient"), coerce=int, default=1)
    start_time = time_field(_l("De"))
    end_time = time_field(_l("À"))
    first_date = date_field(_l("À partir du"))
    until = date_field(_l("Jusqu'au"))
    unit = IdChoiceField(_l("Équipement"), message=UNKNOWN_UNIT)

    def weekly(self) -> Weekly:
        return Weekly(
            weekday=self.weekday.data,
            first=self.first_date.data,
            until=self.until.data,
            every=self.every.data,
        )


class EndSeriesForm(FlaskForm):
    from_date = date_field(_l("À partir du"))
