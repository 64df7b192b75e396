"""The booking review form and the change-time form. Input checks only: the rules are in
``app.bookings.services``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional


class AlwaysChosen:
    """Marks a list that always has a choice (so it is not labelled "optional")."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


def _end_field(label):
    return SelectField(
        label,
        validators=[InputRequired(_l("Choisissez la fin de la réservation."))],
        validate_choice=False,
    )


class BookingForm(FlaskForm):
    """Confirm a booking: POSTs ``start``, ``end`` (DESIGN §5), ``unit``, ``purpose``,
    ``for_user``. ``end`` is a list of allowed ends, but any end is accepted here: the
    service says whether it fits the room's rules."""

    start = HiddenField()
    unit = HiddenField()
    end = _end_field(_l("Jusqu'à quelle heure ?"))
    purpose = StringField(
        _l("Pour quelle occasion ?"),
        description=_l("Par exemple : anniversaire, repas de famille."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
        render_kw={"autocomplete": "off"},
    )
    for_user = SelectField(_l("Pour qui ?"), validators=[AlwaysChosen()], validate_choice=False)


class NightsBookingForm(BookingForm):
    end = _end_field(_l("Combien de nuits ?"))


class ChangeTimeForm(FlaskForm):
    """Move a booking: the new ``start`` and ``end``."""

    start = HiddenField()
    end = _end_field(_l("Jusqu'à quelle heure ?"))


class ChangeNightsForm(ChangeTimeForm):
    end = _end_field(_l("Combien de nuits ?"))
