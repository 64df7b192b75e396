from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.core.i18n import lazy_gettext as _l

PASSWORD_HELP = _l("Au moins 12 caractères. Une phrase facile à retenir convient très bien.")


class LoginForm(FlaskForm):
    username = StringField(
        _l("Nom d'utilisateur ou adresse e-mail"),
        validators=[DataRequired(_l("Indiquez votre nom d'utilisateur."))],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        validators=[DataRequired(_l("Indiquez votre mot de passe."))],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Mot de passe actuel"),
        validators=[DataRequired(_l("Indiquez votre mot de passe actuel."))],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("Nouveau mot de passe"),
        description=PASSWORD_HELP,
        validators=[
            DataRequired(_l("Choisissez un nouveau mot de passe.")),
            Length(min=12, max=256, message=_l("Au moins 12 caractères.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Nouveau mot de passe, encore une fois"),
        validators=[
            DataRequired(_l("Tapez le nouveau mot de passe une seconde fois.")),
            EqualTo("password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class DisplayForm(FlaskForm):
    """Text size and contrast: sent by the buttons of the display bar."""

    text_size = HiddenField()
    high_contrast = HiddenField()
    next = HiddenField()

    def choice(self) -> tuple[int | None, bool | None]:
        """(text size, high contrast): None for what was not chosen (or not understood)."""
        size = self.text_size.data
        return (
            int(size) if size in ("0", "1", "2") else None,
            {"1": True, "0": False}.get(self.high_contrast.data),
        )


class RedeemCodeForm(FlaskForm):
    code = StringField(
        _l("Code d'invitation"),
        description=_l("Le code est imprimé sur la feuille remise par la coordination."),
        validators=[DataRequired(_l("Tapez le code de votre feuille d'invitation."))],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class ActivateForm(FlaskForm):
    username = StringField(
        _l("Nom d'utilisateur"),
        description=_l("Par exemple : prenom.nom. Vous le taperez pour vous connecter."),
        validators=[DataRequired(_l("Choisissez un nom d'utilisateur."))],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Mot de passe"),
        description=PASSWORD_HELP,
        validators=[
            DataRequired(_l("Choisissez un mot de passe.")),
            Length(min=12, max=256, message=_l("Au moins 12 caractères.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Mot de passe, encore une fois"),
        validators=[
            DataRequired(_l("Tapez le mot de passe une seconde fois.")),
            EqualTo("password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
