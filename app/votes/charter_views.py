"""Proposals (drafting, the discussion, the committee's steps), the charter with each
article's history, its large-print version, and the minutes of a closed vote.

A second blueprint of the votes domain, beside ``views.py`` (the votes themselves: the list,
a vote's page, casting, results), while two people build issue 9 at once: the lead may fold
them into one.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template, request, url_for
from flask_login import login_required

from app.core.actions import perform
from app.core.db import utcnow
from app.core.forms import EmptyForm, parse_id
from app.core.htmx import render_page_or_block
from app.core.i18n import gettext as _
from app.core.permissions import Role, ensure, require_role
from app.core.tenancy import get_in_residence_or_404
from app.core.timewords import request_words
from app.votes import charter_services as charter
from app.votes import services
from app.votes.charter_forms import (
    WITHOUT_ARTICLES,
    CommentForm,
    HideCommentForm,
    MoveForm,
    ProposalForm,
)
from app.votes.models import (
    Article,
    ChangeKind,
    Proposal,
    ProposalComment,
    ProposalStatus,
    Vote,
)

bp = Blueprint("charter", __name__)


def vote_url(vote_id: int) -> str:
    """A vote's page (``/votes/<id>``, DESIGN §5), served by the votes' own blueprint."""
    return f"{request.script_root}/votes/{vote_id}"


def new_vote_url(proposal_id: int) -> str:
    """The committee's "put to the vote" form for a proposal (the votes' blueprint)."""
    return f"{request.script_root}/votes/new?proposal={proposal_id}"


@bp.app_context_processor
def vote_links():
    return {"vote_url": vote_url, "new_vote_url": new_vote_url}


def _settled(render):
    """Render a page that shows votes' results or the charter, once the residence's votes
    whose closing time has passed are closed (through the action runner, which commits)."""
    now = utcnow()
    if not charter.due_to_close(g.residence.id, now):
        return render()
    return perform(
        lambda: charter.close_due(g.residence.id, now),
        page=lambda _error: render(),
        success=lambda _closed: make_response(render()),
    )


# -- Proposals -------------------------------------------------------------------------


@bp.get("/proposals")
@login_required
def proposals():
    """Every proposal of the residence, by status: what is being voted on first."""
    ensure(g.membership is not None)
    return render_template("charter/proposals.html", groups=charter.proposals_of(g.residence.id))


def _article_choices(form: ProposalForm) -> dict[int, Article]:
    articles = charter.articles_of(g.residence.id)
    if not articles:  # nothing to change or repeal yet: only a new article
        form.change.choices = [c for c in form.change.choices if c.value in WITHOUT_ARTICLES]
    form.article.set_objects(
        articles,
        lambda a: _("Article %(number)d : %(title)s", number=a.number, title=a.title),
        empty=_("Choisir un article"),
    )
    return {a.id: a for a in articles}


def _change_and_article(form: ProposalForm, articles: dict[int, Article]):
    change = ChangeKind(form.change.data)
    needs_article = change in (ChangeKind.CHANGE, ChangeKind.REPEAL)
    article = articles.get(form.article.data) if needs_article else None
    return change, article


@bp.route("/proposals/new", methods=["GET", "POST"])
@require_role(Role.RESIDENT)
def new_proposal():
    """Any resident drafts a rule: a new article, or a change to (or the repeal of) one."""
    form = ProposalForm()
    articles = _article_choices(form)
    if not form.is_submitted():
        chosen = parse_id(request.args.get("article"))
        if chosen in articles:
            form.change.data, form.article.data = ChangeKind.CHANGE.value, chosen

    def page(_error=None):
        return render_template("charter/proposal_form.html", form=form, proposal=None)

    if not form.is_submitted():
        return page()

    def create():
        change, article = _change_and_article(form, articles)
        return services.create_proposal(
            g.membership,
            form.title.data,
            form.rule_text.data or "",
            why=form.why.data or "",
            summary=form.summary.data or "",
            change=change,
            article=article,
        )

    return perform(
        create,
        form=form,
        page=page,
        message=_(
            "Votre proposition est enregistrée comme brouillon. Le comité la lira et "
            "ouvrira la discussion."
        ),
        success=lambda proposal: url_for("charter.proposal", proposal_id=proposal.id),
    )


def _proposal_or_404(proposal_id: int) -> Proposal:
    return get_in_residence_or_404(Proposal, proposal_id)


def _proposal_page(proposal: Proposal, *, comment_form=None):
    votes = charter.votes_on(proposal)
    now = utcnow()
    context = {
        "proposal": proposal,
        "change": charter.change_of(proposal),
        "comments": charter.comments_of(proposal),
        "comment_form": comment_form or CommentForm(),
        "votes": votes,
        "now": now,
        "can_edit": charter.can_edit(g.membership, proposal),
        "can_move": charter.can_move(g.membership, proposal),
        "can_comment": charter.can_comment(g.membership, proposal),
    }
    return render_page_or_block("charter/proposal.html", ["comments", "live_status"], **context)


@bp.get("/proposals/<int:proposal_id>")
@login_required
def proposal(proposal_id: int):
    """The proposal, its change as before / after, its status in words, its discussion."""
    found = _proposal_or_404(proposal_id)
    return _settled(lambda: _proposal_page(found))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit_proposal(proposal_id: int):
    """The author changes their draft."""
    found = _proposal_or_404(proposal_id)
    ensure(charter.can_edit(g.membership, found))
    form = ProposalForm(obj=None if request.method == "POST" else found)
    articles = _article_choices(form)
    if not form.is_submitted():
        form.change.data = found.change.value
        form.article.data = found.article_id

    def page(_error=None):
        return render_template("charter/proposal_form.html", form=form, proposal=found)

    if not form.is_submitted():
        return page()

    def save():
        change, article = _change_and_article(form, articles)
        return charter.edit_proposal(
            g.membership,
            found,
            form.title.data,
            form.rule_text.data or "",
            why=form.why.data or "",
            summary=form.summary.data or "",
            change=change,
            article=article,
        )

    return perform(
        save,
        form=form,
        page=page,
        message=_("Votre brouillon est modifié."),
        success=lambda p: url_for("charter.proposal", proposal_id=p.id),
    )


@bp.post("/proposals/<int:proposal_id>/comments")
@login_required
def comment(proposal_id: int):
    found = _proposal_or_404(proposal_id)
    form = CommentForm()
    return perform(
        lambda: charter.add_comment(g.membership, found, form.text.data or ""),
        form=form,
        page=lambda _error: _proposal_page(found, comment_form=form),
        message=_("Votre commentaire est publié."),
        success=lambda c: url_for(
            "charter.proposal", proposal_id=found.id, _anchor=f"comment-{c.id}"
        ),
    )


def _comment_or_404(proposal: Proposal, comment_id: int) -> ProposalComment:
    comment = charter.comment_of(proposal, comment_id)
    if comment is None:
        abort(404)
    return comment


def _hide_page(proposal, comment, form):
    return render_template(
        "charter/hide_comment.html", proposal=proposal, comment=comment, form=form
    )


@bp.route("/proposals/<int:proposal_id>/comments/<int:comment_id>/hide", methods=["GET", "POST"])
@require_role(Role.COMMITTEE)
def hide_comment(proposal_id: int, comment_id: int):
    """The committee hides a comment (disrespectful, personal): its reason shows in its
    place, and its author is told."""
    found = _proposal_or_404(proposal_id)
    comment = _comment_or_404(found, comment_id)
    form = HideCommentForm()
    if not form.is_submitted():
        return _hide_page(found, comment, form)
    return perform(
        lambda: charter.hide_comment(g.membership, comment, form.reason.data or ""),
        form=form,
        fields={"reason": "reason"},
        page=lambda _error: _hide_page(found, comment, form),
        message=_("Le commentaire est masqué. Son auteur a reçu un message avec la raison."),
        success=lambda c: url_for(
            "charter.proposal", proposal_id=found.id, _anchor=f"comment-{c.id}"
        ),
    )


@bp.post("/proposals/<int:proposal_id>/comments/<int:comment_id>/show")
@require_role(Role.COMMITTEE)
def show_comment(proposal_id: int, comment_id: int):
    """The committee shows again a comment it had hidden; its author is told."""
    found = _proposal_or_404(proposal_id)
    comment = _comment_or_404(found, comment_id)
    return perform(
        lambda: charter.show_comment(g.membership, comment),
        form=EmptyForm(),
        page=lambda _error: _proposal_page(found),
        message=_("Le commentaire est de nouveau visible. Son auteur a reçu un message."),
        success=lambda c: url_for(
            "charter.proposal", proposal_id=found.id, _anchor=f"comment-{c.id}"
        ),
    )


MOVED = {
    ProposalStatus.DISCUSSION.value: lambda: _(
        "La discussion est ouverte : les habitants peuvent commenter la proposition."
    ),
    ProposalStatus.WITHDRAWN.value: lambda: _(
        "La proposition est retirée. Elle ne sera pas votée."
    ),
}


@bp.post("/proposals/<int:proposal_id>/status")
@require_role(Role.COMMITTEE)
def move(proposal_id: int):
    """The committee opens the discussion of a draft, or withdraws a proposal."""
    found = _proposal_or_404(proposal_id)
    form = MoveForm()
    return perform(
        lambda: charter.move(g.membership, found, ProposalStatus(form.status.data)),
        form=form,
        page=lambda _error: _proposal_page(found),
        message=lambda _p: MOVED[form.status.data](),
        success=lambda p: url_for("charter.proposal", proposal_id=p.id),
    )


# -- The charter ------------------------------------------------------------------------


@bp.get("/charter")
@login_required
def index():
    """The rules in force, by article, each with its date and the vote that adopted it."""
    ensure(g.membership is not None)
    return _settled(
        lambda: render_template("charter/index.html", articles=charter.charter_of(g.residence.id))
    )


@bp.get("/charter/articles/<int:article_id>")
@login_required
def article(article_id: int):
    """An article and every adopted change of it."""
    found = get_in_residence_or_404(Article, article_id)
    return _settled(
        lambda: render_template(
            "charter/article.html", article=found, history=charter.article_history(found)
        )
    )


@bp.get("/charter/print")
@login_required
def print_charter():
    """The charter in large print, for the hall and for those who read on paper."""
    ensure(g.membership is not None)
    return _settled(
        lambda: render_template(
            "charter/print.html", articles=charter.charter_of(g.residence.id), now=utcnow()
        )
    )


@bp.get("/charter/minutes/<int:vote_id>")
@login_required
def minutes(vote_id: int):
    """The minutes (procès-verbal) of a closed vote, to print."""
    vote = get_in_residence_or_404(Vote, vote_id)

    def render():
        if vote.closed_at is None:
            abort(404)  # no minutes before the close
        said = charter.minutes(request_words(), vote, now=utcnow())
        return render_template("charter/minutes.html", m=said)

    return _settled(render)
