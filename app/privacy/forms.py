"""The forms of the privacy pages: closing one's account, recording a departure."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.core.i18n import lazy_gettext as _l


class CloseAccountForm(FlaskForm):
    password = PasswordField(
        _l("Votre mot de passe"),
        description=_l("Pour être sûr que c'est bien vous."),
        validators=[
            DataRequired(_l("Indiquez votre mot de passe.")),
            Length(max=200, message=_l("200 caractères au plus.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )


class DepartureForm(FlaskForm):
    # Only a category: never why in free words (nothing about health).
    reason = RadioField(
        _l("Pourquoi la personne part-elle ?"),
        choices=[
            SelectChoice("moved_out", _l("Elle a déménagé")),
            SelectChoice("died", _l("Elle est décédée")),
        ],
        validators=[DataRequired(_l("Choisissez une raison."))],
    )
