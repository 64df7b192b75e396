"""Form pieces every domain shares: the bare POST form and typed fields.

Fields parse what the browser sends into Python values (a local datetime, an id) with a
message a person understands; views never parse request values by hand.
"""

from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from wtforms import DateField, Field, IntegerField, SelectField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from app.core.db import MAX_ID
from app.core.i18n import lazy_gettext as _l
from app.core.timeutils import iso_minutes, parse_local, reasonable

UNREADABLE_TIME = _l(
    "Ce créneau n'est pas valable (date ou heure illisible). Choisissez un créneau dans la "
    "liste de la salle."
)


class EmptyForm(FlaskForm):
    """A bare POST button: only the CSRF token (see the ``button_post`` macro)."""


def parse_id(value) -> int | None:
    """An id sent in a form or a query string, or None if it cannot be one."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        value = str(value or "").strip()
        if not value.isascii() or not value.isdecimal():
            return None
        number = int(value)
    return number if 0 < number <= MAX_ID else None


def _coerce_local(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    parsed = parse_local(value)
    if parsed is None:
        raise ValueError(value)
    return parsed


class LocalDateTimeField(Field):
    """A local time of the residence sent as ``2026-12-01T14:00`` (hidden by default).

    ``data`` is a naive local datetime, or None when the field was left out. An unreadable or
    absurd value is an error of the field (``message``)."""

    widget = HiddenInput()

    def __init__(self, label=None, validators=None, message=UNREADABLE_TIME, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def _value(self) -> str:
        if isinstance(self.data, dt.datetime):
            return iso_minutes(self.data)
        return self.raw_data[0] if self.raw_data else ""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = _coerce_local(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None


class LocalDateTimeSelectField(SelectField):
    """A list of local times (``value`` ISO, ``label`` in words); ``data`` is a datetime.

    Any readable time is accepted (``validate_choice=False``): the service says whether it
    fits the rules, with its own message."""

    def __init__(self, label=None, validators=None, message=UNREADABLE_TIME, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(
            label, validators, coerce=_coerce_local, invalid_value_message=message, **kwargs
        )

    def set_times(self, moments: list[tuple[dt.datetime, str]]) -> None:
        """``(local time, words)`` pairs; the selected one is compared as a datetime."""
        self.choices = [SelectChoice(iso_minutes(moment), label) for moment, label in moments]


class IdChoiceField(SelectField):
    """The id of one of the listed objects (a unit, a person). ``data`` is an int, or None
    for the empty choice. Anything else is an error with ``message``."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        message = message or _l("Choisissez dans la liste.")
        super().__init__(
            label,
            validators,
            coerce=self._coerce,
            invalid_value_message=message,
            invalid_choice_message=message,
            **kwargs,
        )

    @staticmethod
    def _coerce(value):
        if value is None or value == "":
            return None
        number = parse_id(value)
        if number is None:
            raise ValueError(value)
        return number

    def set_objects(
        self, objects, label=str, *, key=lambda obj: obj.id, empty: str | None = None
    ) -> None:
        """List ``objects`` (their ``key``, an id, is sent); ``empty`` adds an empty first
        choice."""
        choices = [SelectChoice("", empty)] if empty is not None else []
        choices += [SelectChoice(str(key(obj)), label(obj)) for obj in objects]
        self.choices = choices


class HiddenIdField(IdChoiceField):
    """An id carried in a hidden input (the unit of a tapped slot)."""

    widget = HiddenInput()

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


# ---------------------------------------------------------------------------------------
# Typed inputs with plain messages.


def number_field(label, *, minimum=0, maximum=10_000, required=True, **kw) -> IntegerField:
    validators = [
        InputRequired(_l("Indiquez un nombre.")) if required else Optional(),
        NumberRange(
            min=minimum, max=maximum, message=_l("Indiquez un nombre entre %(min)s et %(max)s.")
        ),
    ]
    render_kw = {"inputmode": "numeric", "min": minimum, **kw.pop("render_kw", {})}
    return IntegerField(label, validators=validators, render_kw=render_kw, **kw)


def time_field(label, *, required=True, **kw) -> TimeField:
    validators = [InputRequired(_l("Indiquez une heure.")) if required else Optional()]
    return TimeField(label, validators=validators, **kw)


def _reasonable_date(form, field):
    if field.data is not None and not reasonable(field.data):
        raise ValidationError(_l("Indiquez une date entre 1970 et 9000."))


def optional_date_field(label, **kw) -> DateField:
    return DateField(label, validators=[Optional(), _reasonable_date], **kw)


def date_field(label, **kw) -> DateField:
    return DateField(
        label, validators=[InputRequired(_l("Indiquez une date.")), _reasonable_date], **kw
    )
