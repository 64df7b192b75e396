"""Forms of votes: the committee's settings of a vote (from a preset, adjusted), and the
ballot's confirmation.

Forms check what was typed; the rules (who may vote, when, once) are in the services.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.core.forms import date_field, number_field, time_field
from app.core.i18n import lazy_gettext as _l
from app.core.timeutils import to_local, to_utc
from app.votes.models import ABSTENTION, CHOICE_KEYS, MAX_CHOICES, Electorate, Majority, Vote
from app.votes.services import CHOICE_LENGTH, PRESETS, Settings

ELECTORATE_LABELS = {
    Electorate.HOMES: _l("Une voix par foyer"),
    Electorate.RESIDENTS: _l("Tous les habitants, une voix chacun"),
    Electorate.COMMITTEE: _l("Les membres du comité seulement"),
}

MAJORITY_LABELS = {
    Majority.MORE_FOR_THAN_AGAINST: _l("Plus de pour que de contre"),
    Majority.TWO_THIRDS_OF_CAST: _l("Au moins deux tiers de pour parmi les votes exprimés"),
    Majority.MAJORITY_OF_ELECTORATE: _l("Plus de la moitié de tous les votants possibles"),
    Majority.PLURALITY: _l("Le choix qui a le plus de voix l'emporte"),
}
# The majorities of a vote Pour / Contre (a question's is always the plurality).
FOR_AGAINST_MAJORITIES = [m for m in Majority if m != Majority.PLURALITY]

CHOICE_LABELS = {
    "pour": _l("Pour"),
    "contre": _l("Contre"),
    "abstention": _l("Je m'abstiens"),
}


def labels_of(vote: Vote) -> dict[str, str]:
    """Each option's words: a question's choices as the committee wrote them (never
    translated), "Je m'abstiens", or Pour / Contre."""
    return {**CHOICE_LABELS, **vote.choice_words}


class BallotForm(FlaskForm):
    """The confirming form of the review step: the choice, sent again with the token."""

    choice = HiddenField(validators=[InputRequired(_l("Choisissez une des réponses proposées."))])


class VoteForm(FlaskForm):
    """The settings of a vote: a preset's, adjusted. ``confirmed`` is set by the second
    submit, once the settings were shown back in plain words."""

    preset = HiddenField()
    electorate = RadioField(
        _l("Qui vote ?"),
        choices=[SelectChoice(e.value, ELECTORATE_LABELS[e]) for e in Electorate],
        validators=[DataRequired(_l("Choisissez qui vote."))],
    )
    opens_day = date_field(_l("Jour d'ouverture"))
    opens_time = time_field(_l("Heure d'ouverture"))
    closes_day = date_field(_l("Jour de clôture"))
    closes_time = time_field(_l("Heure de clôture"))
    quorum_percent = number_field(
        _l("Quorum, en pourcentage des votants possibles"),
        minimum=0,
        maximum=100,
        description=_l(
            "La part des votants qui doit voter pour que le résultat compte. 0 : pas de quorum."
        ),
        render_kw={"max": 100},
    )
    majority = RadioField(
        _l("Quelle majorité pour adopter ?"),
        choices=[SelectChoice(m.value, MAJORITY_LABELS[m]) for m in FOR_AGAINST_MAJORITIES],
        validators=[DataRequired(_l("Choisissez la majorité."))],
    )
    abstentions_cast = BooleanField(
        _l("Les abstentions comptent dans les votes exprimés"),
        description=_l("Sinon, on ne compte que les pour et les contre."),
    )
    secret = RadioField(
        _l("Vote secret ou public ?"),
        choices=[
            SelectChoice("secret", _l("Secret : personne ne sait qui a voté quoi")),
            SelectChoice("public", _l("Public : chacun voit le choix des autres")),
        ],
        validators=[DataRequired(_l("Choisissez secret ou public."))],
    )
    results_hidden = BooleanField(
        _l("Résultats cachés jusqu'à la clôture"),
        description=_l("Toujours le cas pour un vote secret."),
    )
    confirmed = HiddenField()

    def fill(self, name: str, now: dt.datetime, tz: ZoneInfo) -> None:
        """Start from preset ``name``: opening at the next hour, for the preset's days."""
        values = PRESETS[name]
        opens = to_local(now, tz).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        closes = opens + dt.timedelta(days=values["days"])
        self.preset.data = name
        self.electorate.data = values["electorate"].value
        self.opens_day.data, self.opens_time.data = opens.date(), opens.time()
        self.closes_day.data, self.closes_time.data = closes.date(), closes.time()
        self.quorum_percent.data = values["quorum_percent"]
        if self.majority is not None:
            self.majority.data = values["majority"].value
            self.abstentions_cast.data = values["abstentions_cast"]
        self.secret.data = "secret" if values["secret"] else "public"
        self.results_hidden.data = values["results_hidden"]

    def settings(self, tz: ZoneInfo) -> Settings:
        """What was typed, as the service takes it (local times made UTC here, once)."""
        secret = self.secret.data == "secret"
        return Settings(
            opens_at=to_utc(dt.datetime.combine(self.opens_day.data, self.opens_time.data), tz),
            closes_at=to_utc(dt.datetime.combine(self.closes_day.data, self.closes_time.data), tz),
            electorate=Electorate(self.electorate.data),
            quorum_percent=self.quorum_percent.data,
            majority=Majority(self.majority.data) if self.majority else Majority.PLURALITY,
            abstentions_cast=bool(self.abstentions_cast and self.abstentions_cast.data),
            secret=secret,
            results_hidden=bool(self.results_hidden.data) or secret,
        )


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choice_field(number: int, *, required: bool = False):
    """A choice's words; the first two are needed (a question has at least two)."""
    return StringField(
        _l("Choix %(num)d", num=number),
        filters=[_strip],
        validators=[
            DataRequired(_l("Écrivez au moins deux choix.")) if required else Optional(),
            Length(
                max=CHOICE_LENGTH,
                message=_l("%(num)d caractères au plus.", num=CHOICE_LENGTH),
            ),
        ],
    )


class QuestionForm(VoteForm):
    """The settings of a question's vote: the same, less the majority (the choice with the
    most votes wins) and the weight of abstentions (never counted), plus the choices in the
    committee's words: 2 to 6, none twice, and "Je m'abstiens" if the committee wants it."""

    majority = None
    abstentions_cast = None
    choice_1 = _choice_field(1, required=True)
    choice_2 = _choice_field(2, required=True)
    choice_3 = _choice_field(3)
    choice_4 = _choice_field(4)
    choice_5 = _choice_field(5)
    choice_6 = _choice_field(6)
    with_abstention = BooleanField(
        _l("Proposer aussi « Je m'abstiens »"),
        description=_l("Les abstentions ne comptent pas pour départager les choix."),
    )

    @property
    def choice_fields(self):
        return [self[f"choice_{n}"] for n in range(1, MAX_CHOICES + 1)]

    def fill(self, name: str, now: dt.datetime, tz: ZoneInfo) -> None:
        super().fill(name, now, tz)
        self.with_abstention.data = True

    def choice_words(self) -> list[str]:
        """The choices typed, in order, blanks left out."""
        return [field.data for field in self.choice_fields if field.data]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        seen: set[str] = set()
        for field in self.choice_fields:
            if not field.data:
                continue
            if field.data.casefold() in seen:
                field.errors = [*field.errors, _l("Ce choix est déjà proposé plus haut.")]
                valid = False
            seen.add(field.data.casefold())
        return valid

    def settings(self, tz: ZoneInfo) -> Settings:
        settings = super().settings(tz)
        words = self.choice_words()
        settings.majority = Majority.PLURALITY
        settings.abstentions_cast = False
        settings.labels = tuple(words)
        abstention = (ABSTENTION,) if self.with_abstention.data else ()
        settings.options = (*CHOICE_KEYS[: len(words)], *abstention)
        return settings
