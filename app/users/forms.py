from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError
from wtforms.widgets import PasswordInput

from app.core.i18n import lazy_gettext as _l

PASSWORD_HELP = _l("Au moins 12 caractères. Une phrase facile à retenir convient très bien.")


def kept_password(label, **kw) -> PasswordField:
    """A new password field that keeps what was typed when the page comes back with another
    field's error (retyping two long passwords is what makes people give up)."""
    return PasswordField(label, widget=PasswordInput(hide_value=False), **kw)


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
    """Every field's problem at once. ``current_is_right(password)`` (given by the view,
    from the services) checks the current password with the others; a wrong one is cleared,
    and the message says so; what else was typed is kept."""

    def __init__(self, *args, current_is_right=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._current_is_right = current_is_right

    current_password = kept_password(
        _l("Mot de passe actuel"),
        validators=[DataRequired(_l("Indiquez votre mot de passe actuel."))],
        render_kw={"autocomplete": "current-password"},
    )

    def validate_current_password(self, field):
        if self._current_is_right is not None and not self._current_is_right(field.data):
            field.data = ""
            raise ValidationError(
                _l(
                    "Le mot de passe actuel n'est pas le bon. Par sécurité, il a été effacé : "
                    "tapez-le de nouveau."
                )
            )

    password = kept_password(
        _l("Nouveau mot de passe"),
        description=PASSWORD_HELP,
        validators=[
            DataRequired(_l("Choisissez un nouveau mot de passe.")),
            Length(min=12, max=256, message=_l("Au moins 12 caractères.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = kept_password(
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
    """Choose a username and a password. Every field's problem is said at once:
    ``username_problem(username)`` (given by the view, from the services) says what is wrong
    with the username, or None."""

    def __init__(self, *args, username_problem=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.username_problem = username_problem

    def validate_username(self, field):
        problem = self.username_problem(field.data) if self.username_problem else None
        if problem:
            raise ValidationError(problem)

    username = StringField(
        _l("Nom d'utilisateur"),
        description=_l("Par exemple : prenom.nom. Vous le taperez pour vous connecter."),
        validators=[DataRequired(_l("Choisissez un nom d'utilisateur."))],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = kept_password(
        _l("Mot de passe"),
        description=PASSWORD_HELP,
        validators=[
            DataRequired(_l("Choisissez un mot de passe.")),
            Length(min=12, max=256, message=_l("Au moins 12 caractères.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = kept_password(
        _l("Mot de passe, encore une fois"),
        validators=[
            DataRequired(_l("Tapez le mot de passe une seconde fois.")),
            EqualTo("password", _l("Les deux mots de passe ne sont pas identiques.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
