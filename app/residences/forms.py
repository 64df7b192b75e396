"""The coordinator's form of the residence: how residents reach the coordination."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TelField
from wtforms.validators import Length, Optional

from app.core.forms import number_field
from app.core.i18n import lazy_gettext as _l


class ContactForm(FlaskForm):
    """Each field may be left empty; lengths match the columns (``Residence.contact_*``)."""

    contact_phone = TelField(
        _l("Numéro de téléphone"),
        description=_l("Le numéro que les habitants peuvent appeler, par exemple 03 20 12 34 56."),
        validators=[Optional(), Length(max=30, message=_l("30 caractères au plus."))],
        render_kw={"autocomplete": "off"},
    )
    contact_hours = StringField(
        _l("Jours et heures de permanence"),
        description=_l("En toutes lettres, par exemple : le mardi et le jeudi, de 9 h à 17 h."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
        render_kw={"autocomplete": "off"},
    )
    contact_place = StringField(
        _l("Où trouver la coordination"),
        description=_l("Par exemple : bureau au rez-de-chaussée, à côté de la salle commune."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
        render_kw={"autocomplete": "off"},
    )

    contact_hours_en = StringField(
        _l("Jours et heures, en anglais"),
        description=_l("Pour les habitants qui lisent l'application en anglais."),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
        render_kw={"autocomplete": "off", "lang": "en"},
    )
    contact_place_en = StringField(
        _l("Où trouver la coordination, en anglais"),
        validators=[Optional(), Length(max=200, message=_l("200 caractères au plus."))],
        render_kw={"autocomplete": "off", "lang": "en"},
    )

    proxy_limit = number_field(
        _l("Procurations qu'une personne peut avoir pour un même vote"),
        minimum=0,
        maximum=10,
        required=False,
        description=_l("2 d'habitude. 0 : pas de procuration dans la résidence."),
    )
    retention_months = number_field(
        _l("Combien de mois garder le compte d'une personne partie"),
        minimum=1,
        maximum=120,
        required=False,
        description=_l(
            "Quand une personne n'a plus accès à l'application, son compte est gardé ce "
            "nombre de mois, puis son nom, ses coordonnées et ses messages sont effacés. "
            "Ses réservations passées et ses présences restent, sans son nom. "
            "12 mois, sauf raison particulière."
        ),
    )

    @classmethod
    def of(cls, residence) -> ContactForm:
        return cls(
            proxy_limit=residence.proxy_limit,
            retention_months=residence.retention_months,
            contact_phone=residence.contact_phone,
            contact_hours=residence.contact_hours,
            contact_place=residence.contact_place,
            contact_hours_en=residence.contact_hours_en,
            contact_place_en=residence.contact_place_en,
        )
