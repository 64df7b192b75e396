"""Forms of proxies and of the voting desk: they read what the browser sends; the rules are
the services' (``app.votes.proxies``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import IdChoiceField, number_field, optional_date_field, parse_id
from app.core.i18n import lazy_gettext as _l
from app.votes.models import Channel

PERIOD = "period"


class GiveProxyForm(FlaskForm):
    """To whom, and for which vote (``vote-<id>``) or for a period (``period``, with its
    first and last days)."""

    holder = IdChoiceField(
        _l("À qui donnez-vous votre procuration ?"),
        validators=[InputRequired(_l("Choisissez la personne dans la liste."))],
    )
    scope = RadioField(
        _l("Pour quel vote ?"),
        validators=[InputRequired(_l("Choisissez un vote, ou une période."))],
        invalid_choice_message=_l("Choisissez un vote, ou une période."),
    )
    first_day = optional_date_field(_l("Premier jour"))
    last_day = optional_date_field(_l("Dernier jour (compris)"))

    def set_votes(self, votes, label) -> None:
        self.scope.choices = [SelectChoice(f"vote-{v.id}", label(v)) for v in votes] + [
            SelectChoice(PERIOD, _l("Tous les votes d'une période (dates ci-dessous)"))
        ]

    @property
    def vote_id(self) -> int | None:
        data = self.scope.data or ""
        return parse_id(data[5:]) if data.startswith("vote-") else None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.scope.data != PERIOD:
            return valid
        first, last = self.first_day, self.last_day
        if first.data is None and not first.errors:
            first.errors = [*first.errors, _l("Indiquez le premier jour.")]
        if last.data is None and not last.errors:
            last.errors = [*last.errors, _l("Indiquez le dernier jour.")]
        elif first.data and last.data and last.data < first.data:
            last.errors = [*last.errors, _l("Le dernier jour doit être après le premier.")]
        return valid and not first.errors and not last.errors


class ProxyBallotForm(FlaskForm):
    """The confirmation of a proxy vote: the choice, carried from the review."""

    choice = HiddenField(validators=[InputRequired(_l("Choisissez une des réponses proposées."))])


CHANNEL_CHOICES = [
    SelectChoice(Channel.PAPER.value, _l("Sur papier")),
    SelectChoice(Channel.ROOM.value, _l("À main levée, dans la salle")),
]


def _channel_field():
    return RadioField(
        _l("Comment ?"),
        choices=CHANNEL_CHOICES,
        default=Channel.PAPER.value,
        validators=[InputRequired(_l("Choisissez : sur papier, ou à main levée."))],
        invalid_choice_message=_l("Choisissez : sur papier, ou à main levée."),
    )


class DeskBallotForm(FlaskForm):
    """A public vote at the desk: one person's ballot, by name."""

    person = IdChoiceField(
        _l("Qui a voté ?"),
        validators=[InputRequired(_l("Choisissez la personne dans la liste."))],
    )
    choice = RadioField(
        _l("Sa réponse"),
        validators=[InputRequired(_l("Choisissez sa réponse."))],
        invalid_choice_message=_l("Choisissez sa réponse."),
    )
    channel = _channel_field()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def desk_batch_form(options: list[tuple[str, str]], **kwargs) -> FlaskForm:
    """A secret vote at the desk: how many ballots for each option (``count_<option>``),
    and who took part (``people``, ids)."""

    class DeskBatchForm(FlaskForm):
        channel = _channel_field()
        people = MultiCheckboxField(
            _l("Qui a voté ?"),
            coerce=int,
            validate_choice=False,
        )

        @property
        def counts(self) -> dict[str, int]:
            return {key: self[f"count_{key}"].data or 0 for key, _label in options}

        @property
        def count_fields(self):
            return [self[f"count_{key}"] for key, _label in options]

    for key, label in options:
        setattr(
            DeskBatchForm,
            f"count_{key}",
            number_field(label, minimum=0, maximum=10_000, default=0, required=False),
        )
    return DeskBatchForm(**kwargs)
