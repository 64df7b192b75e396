"""Forms of the proposals and their discussion (beside ``forms.py`` while two people build
issue 9 at once)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import IdChoiceField
from app.core.i18n import lazy_gettext as _l
from app.votes.models import ChangeKind, ProposalStatus

CHANGE_CHOICES = [
    SelectChoice(ChangeKind.CREATE.value, _l("Ajouter un nouvel article")),
    SelectChoice(ChangeKind.CHANGE.value, _l("Changer un article")),
    SelectChoice(ChangeKind.REPEAL.value, _l("Supprimer un article")),
    SelectChoice(
        ChangeKind.QUESTION.value,
        _l("Poser une question à plusieurs choix (la charte ne change pas)"),
    ),
]
# Without articles yet, nothing to change or repeal.
WITHOUT_ARTICLES = (ChangeKind.CREATE.value, ChangeKind.QUESTION.value)


class ProposalForm(FlaskForm):
    """A proposed rule: what, the words of the rule, why, a summary, and what it does to the
    charter."""

    title = StringField(
        _l("Le titre de la règle"),
        description=_l(
            "En quelques mots, par exemple « Heures calmes » ou « Vélos dans la cour ». "
            "Pour une question, la question elle-même : « Quel jour pour le marché ? »"
        ),
        validators=[
            DataRequired(_l("Écrivez un titre en quelques mots.")),
            Length(max=160, message=_l("160 caractères au plus.")),
        ],
    )
    change = RadioField(
        _l("Ce que la proposition fait à la charte"),
        choices=CHANGE_CHOICES,
        default=ChangeKind.CREATE.value,
        validators=[DataRequired(_l("Choisissez ce que la proposition fait à la charte."))],
    )
    article = IdChoiceField(
        _l("L'article à changer ou à supprimer"),
        description=_l("Seulement si vous changez ou supprimez un article."),
        validators=[Optional()],
        message=_l("Choisissez l'article de la charte dans la liste."),
    )
    rule_text = TextAreaField(
        _l("Le texte de la règle"),
        description=_l(
            "Les mots exacts qui seront dans la charte. Pas besoin si vous supprimez un "
            "article. Pour une question : ses précisions, si besoin (les choix, le comité "
            "les écrit au moment du vote)."
        ),
        validators=[Optional(), Length(max=4000, message=_l("4000 caractères au plus."))],
    )
    summary = StringField(
        _l("En résumé, en mots simples"),
        description=_l(
            "Une phrase que tout le monde comprend, par exemple « On fait moins de bruit le soir »."
        ),
        validators=[Optional(), Length(max=500, message=_l("500 caractères au plus."))],
    )
    why = TextAreaField(
        _l("Pourquoi cette règle ?"),
        validators=[Optional(), Length(max=4000, message=_l("4000 caractères au plus."))],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        change = self.change.data
        if change in (ChangeKind.CHANGE.value, ChangeKind.REPEAL.value) and not self.article.data:
            self.article.errors = [
                *self.article.errors,
                _l("Choisissez l'article de la charte à changer ou à supprimer."),
            ]
            valid = False
        needs_text = change not in (ChangeKind.REPEAL.value, ChangeKind.QUESTION.value)
        if needs_text and not (self.rule_text.data or "").strip():
            self.rule_text.errors = [*self.rule_text.errors, _l("Écrivez le texte de la règle.")]
            valid = False
        return valid


class CommentForm(FlaskForm):
    text = TextAreaField(
        _l("Votre commentaire"),
        description=_l("Tous les habitants de la résidence pourront le lire, avec votre nom."),
        validators=[
            DataRequired(_l("Écrivez votre commentaire.")),
            Length(max=2000, message=_l("2000 caractères au plus.")),
        ],
    )


class MoveForm(FlaskForm):
    """The committee moves a proposal on (the button says to what)."""

    status = SelectField(
        choices=[
            SelectChoice(ProposalStatus.DISCUSSION.value, ProposalStatus.DISCUSSION.value),
            SelectChoice(ProposalStatus.WITHDRAWN.value, ProposalStatus.WITHDRAWN.value),
        ],
        validators=[DataRequired()],
    )


class HideCommentForm(FlaskForm):
    """The committee hides a comment: the reason shows in its place."""

    reason = StringField(
        _l("Pourquoi le masquer ?"),
        description=_l(
            "Par exemple « Propos blessants envers un voisin ». Tout le monde lira cette "
            "raison à la place du commentaire, et son auteur la recevra dans ses messages."
        ),
        validators=[
            DataRequired(_l("Écrivez pourquoi : l'auteur le lira, et les habitants aussi.")),
            Length(max=300, message=_l("300 caractères au plus.")),
        ],
    )
