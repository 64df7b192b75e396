from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from app.core.i18n import lazy_gettext as _l

LANGUAGE_CHOICES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]


class ResidentForm(FlaskForm):
    full_name = StringField(
        _l("Prénom et nom"),
        validators=[
            DataRequired(_l("Indiquez le nom de la personne.")),
            Length(max=120, message=_l("120 caractères au plus.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    home_label = StringField(
        _l("Logement"),
        description=_l("Ce qui est écrit sur la porte, par exemple B12."),
        validators=[Optional(), Length(max=40, message=_l("40 caractères au plus."))],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(_l("Rôle"))
    email = EmailField(
        _l("Adresse e-mail"),
        description=_l("Permet de se connecter avec son adresse."),
        validators=[
            Optional(),
            Email(_l("Cette adresse e-mail ne semble pas valable."), check_deliverability=False),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off"},
    )
    phone = StringField(
        _l("Téléphone"),
        validators=[Optional(), Length(max=30, message=_l("30 caractères au plus."))],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    locale = SelectField(_l("Langue de l'application"), choices=LANGUAGE_CHOICES)
