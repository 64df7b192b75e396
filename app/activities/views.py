"""The programme, an activity's page, joining and leaving (DESIGN §5), and the coordinator's
planning: a new activity, the number of places, registering someone, cancelling; the roll
call after the start, and the participation month by month; the garden's watering rota.

Joining and leaving answer 303 to the activity's page (registered, waiting or left); a
refusal (cancelled, started) answers 409 or 422 with the page saying why. With htmx, the
redirect brings back the "your place" part of the page and the announcement.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, make_response, render_template, request, url_for
from flask_babel import format_decimal, format_number
from flask_login import login_required
from jinja2_fragments.flask import render_block
from wtforms.fields.choices import SelectChoice

from app.activities import services
from app.activities.forms import (
    ActivityForm,
    AnswerForm,
    AssignSlotForm,
    AttendanceForm,
    CancelActivityForm,
    EditActivityForm,
    JoinForm,
    PlacesForm,
    PostponeForm,
    ProposalForm,
    RemoveSlotForm,
    SeasonForm,
)
from app.activities.models import (
    Activity,
    ActivityProposal,
    OrganiserKind,
    RegistrationRole,
    RegistrationStatus,
    WateringSlot,
)
from app.core.actions import perform
from app.core.db import utcnow
from app.core.forms import EmptyForm, parse_id
from app.core.htmx import is_partial, render_page_or_block
from app.core.i18n import get_locale, ngettext
from app.core.i18n import gettext as _
from app.core.pagecache import cached_page
from app.core.permissions import Role, has_role, require_role
from app.core.tenancy import get_for_coordinator_or_404, get_in_residence_or_404
from app.core.timeutils import Period, local_today, parse_date, to_local, week_start
from app.core.timewords import request_words
from app.core.urls import external_url
from app.residences.models import Membership
from app.residences.services import active_members
from app.rooms import services as rooms

bp = Blueprint("activities", __name__, url_prefix="/activities")

PROGRAMME_DAYS = 28


@bp.get("")
@cached_page
@login_required
def index():
    """The next four weeks, a day at a time, with the places left and the person's own."""
    now = utcnow()
    tz = g.residence.tz
    today = local_today(tz, now)
    weeks = Period.days(today, today + dt.timedelta(days=PROGRAMME_DAYS - 1), tz)
    activities = services.programme(g.residence.id, start=now, end=weeks.end)
    days: dict[dt.date, list[Activity]] = {}
    for activity in activities:
        days.setdefault(to_local(activity.starts_at, tz).date(), []).append(activity)
    places = services.places_of(activities, g.membership)
    return render_template(
        "activities/index.html",
        days=days,
        places=places,
        mine={id_: p.mine for id_, p in places.items() if p.mine is not None},
        now=now,
        has_rota=services.has_rota(g.residence, today),
    )


def _detail_context(activity: Activity, **forms):
    places = services.places_of([activity], g.membership)[activity.id]
    registration = places.mine
    context = {
        "activity": activity,
        "places": places,
        "registration": registration,
        "position": services.waiting_position(registration) if registration else None,
        "now": utcnow(),
        "join_form": forms.get("join_form") or JoinForm(),
    }
    if has_role(Role.COORDINATOR):
        people, others = services.people_of(activity)
        join_for = forms.get("join_for_form") or JoinForm()
        join_for.for_member.set_objects(
            others,
            lambda person: person.name,
            key=lambda person: person.membership_id,
            empty=_("Choisir une personne"),
        )
        places_form = forms.get("places_form") or PlacesForm(
            capacity=activity.capacity, helper_places=activity.helper_places
        )
        context.update(
            people=people,
            coming=[p for p in people if p.status == RegistrationStatus.CONFIRMED],
            waiting=[p for p in people if p.status == RegistrationStatus.WAITING],
            join_for_form=join_for,
            places_form=places_form,
            cancel_form=forms.get("cancel_form") or CancelActivityForm(),
        )
    return context


def _detail_page(activity: Activity, **forms):
    return render_page_or_block(
        "activities/detail.html", ["my_place", "live_status"], **_detail_context(activity, **forms)
    )


@bp.get("/<int:activity_id>")
@cached_page
@login_required
def detail(activity_id: int):
    activity = get_in_residence_or_404(Activity, activity_id, query=services.page_query())
    return _detail_page(activity)


def _joined_message(registration) -> str:
    if registration.status == RegistrationStatus.CONFIRMED:
        return _("C'est noté : vous êtes inscrit.")
    position = services.waiting_position(registration)
    return _("C'est complet : vous êtes sur la liste d'attente, en position %(num)d.", num=position)


@bp.post("/<int:activity_id>/register")
@login_required
def register(activity_id: int):
    activity = get_in_residence_or_404(Activity, activity_id)
    form = JoinForm()
    members = {}
    if has_role(Role.COORDINATOR) and form.for_member.raw_data and form.for_member.raw_data[0]:
        members = {m.id: m for m in active_members(g.residence.id)}
        form.for_member.set_objects(members.values(), lambda m: m.user.full_name, empty="")
    else:
        form.for_member.choices = [SelectChoice("", "")]
    for_member = members.get(form.for_member.data) if form.for_member.data else None
    return perform(
        lambda: services.register(
            g.membership,
            activity,
            for_member=for_member,
            as_helper=form.role.data == "helper",
        ),
        form=form,
        page=lambda _error: _detail_page(
            activity, **({"join_for_form": form} if for_member else {"join_form": form})
        ),
        message=lambda registration: (
            _("%(name)s est inscrit.", name=for_member.user.full_name)
            if for_member
            else _joined_message(registration)
        ),
        success=lambda _registration: url_for("activities.detail", activity_id=activity.id),
    )


@bp.post("/<int:activity_id>/leave")
@login_required
def leave(activity_id: int):
    activity = get_in_residence_or_404(Activity, activity_id)
    form = JoinForm()
    form.for_member.choices = [SelectChoice("", "")]
    return perform(
        lambda: services.leave(g.membership, activity),
        form=form,
        page=lambda _error: _detail_page(activity),
        message=_("C'est noté : vous n'êtes plus inscrit. Votre place va à la personne suivante."),
        success=lambda _registration: url_for("activities.detail", activity_id=activity.id),
    )


@bp.post("/<int:activity_id>/places")
@require_role(Role.COORDINATOR)
def change_places(activity_id: int):
    activity = get_for_coordinator_or_404(Activity, activity_id)
    form = PlacesForm()
    return perform(
        lambda: services.change_places(
            g.membership,
            activity,
            capacity=form.capacity.data,
            helper_places=form.helper_places.data,
        ),
        form=form,
        page=lambda _error: _detail_page(activity, places_form=form),
        message=lambda promoted: (
            _("Le nombre de places est changé.")
            + (
                " "
                + ngettext(
                    "%(num)d personne de la liste d'attente a reçu une place et un message.",
                    "%(num)d personnes de la liste d'attente ont reçu une place et un message.",
                    len(promoted),
                )
                if promoted
                else ""
            )
        ),
        success=lambda _promoted: url_for("activities.detail", activity_id=activity.id),
    )


@bp.post("/<int:activity_id>/cancel")
@require_role(Role.COORDINATOR)
def cancel(activity_id: int):
    activity = get_for_coordinator_or_404(Activity, activity_id)
    form = CancelActivityForm()
    return perform(
        lambda: services.cancel_activity(g.membership, activity, form.reason.data),
        form=form,
        page=lambda _error: _detail_page(activity, cancel_form=form),
        message=_("L'activité est annulée. Les inscrits ont reçu un message."),
        success=lambda _activity: url_for("activities.detail", activity_id=activity.id),
    )


def _plan_choices(form: ActivityForm):
    room_list = rooms.rooms_of(g.residence.id)
    people = active_members(g.residence.id)
    form.room.set_objects(room_list, lambda r: r.name_for(get_locale()), empty=_("Choisir"))
    form.organiser.set_objects(people, lambda m: m.user.full_name, empty=_("Choisir"))
    return {r.id: r for r in room_list}, {m.id: m for m in people}


@bp.get("/print")
@login_required
def print_week():
    """The week's programme for the hall notice board: large print on one A4 page, one line
    per session, pictograms with words. ``?week=`` is any day of the week (default: this
    one; from Friday on, the next, which is the one people will read)."""
    now = utcnow()
    tz = g.residence.tz
    today = local_today(tz, now)
    asked = parse_date(request.args.get("week"))
    monday = week_start(asked or (today + dt.timedelta(days=3 if today.weekday() >= 4 else 0)))
    week = Period.days(monday, monday + dt.timedelta(days=6), tz)
    sessions = services.programme(g.residence.id, start=week.start, end=week.end)
    days: dict[dt.date, list[Activity]] = {monday + dt.timedelta(days=n): [] for n in range(7)}
    for activity in sessions:
        day = to_local(activity.starts_at, tz).date()
        if day in days:
            days[day].append(activity)
    return render_template(
        "activities/print.html",
        monday=monday,
        days=days,
        previous=monday - dt.timedelta(days=7),
        following=monday + dt.timedelta(days=7),
    )


@bp.get("/<int:activity_id>/sheet")
@require_role(Role.COORDINATOR)
def sheet(activity_id: int):
    """The sign-up sheet for the hall: who is registered, blank lines for the others, and a
    QR code to the activity's page."""
    import segno

    activity = get_for_coordinator_or_404(Activity, activity_id)
    people = services.active_registrations(activity)
    link = external_url("activities.detail", activity_id=activity.id)
    return render_template(
        "activities/sheet.html",
        activity=activity,
        coming=[
            r
            for r in people
            if r.status == RegistrationStatus.CONFIRMED and r.role == RegistrationRole.PARTICIPANT
        ],
        helpers=[
            r
            for r in people
            if r.status == RegistrationStatus.CONFIRMED and r.role == RegistrationRole.HELPER
        ],
        waiting=[r for r in people if r.status == RegistrationStatus.WAITING],
        places=services.places_of([activity])[activity.id],
        link=link,
        qr_svg=segno.make(link, error="m").svg_inline(
            scale=5, title=_("Code QR de la page de l'activité"), omitsize=True
        ),
    )


def _form_page(form, *, activity=None, error=None, proposal=None):
    """The plan's form; a room taken for some sessions of a series lists those dates."""
    return render_template(
        "activities/form.html",
        form=form,
        activity=activity,
        proposal=proposal,
        clashes=error.dates if isinstance(error, services.RoomTakenOnDates) else [],
        room_clashes=error.clashes if isinstance(error, services.RoomNotFree) else [],
        overridable=getattr(error, "overridable", False)
        or isinstance(error, services.RoomTakenOnDates),
    )


@bp.route("/new", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def new():
    """A new activity or series. ``?proposal=<id>``: a resident's idea put on the
    programme (its words filled in, the resident as organiser)."""
    form = ActivityForm()
    room_map, members = _plan_choices(form)
    proposal_id = parse_id(request.args.get("proposal"))
    proposal = get_for_coordinator_or_404(ActivityProposal, proposal_id) if proposal_id else None
    if not form.is_submitted():
        if proposal is not None:
            form.title.data, form.description.data = proposal.title, proposal.idea
            form.organiser_kind.data = OrganiserKind.RESIDENT.value
            form.organiser.data = proposal.membership_id
        return _form_page(form, proposal=proposal)

    def create():
        plan = form.plan(g.residence.tz, room_map, members)
        if proposal is not None:
            return services.approve_proposal(g.membership, proposal, plan)
        if form.every:
            return services.create_series(
                g.membership, plan, every=form.every, until=form.until.data
            )[1][0]
        return services.create_activity(g.membership, plan)

    return perform(
        create,
        form=form,
        page=lambda error: _form_page(form, error=error, proposal=proposal),
        message=lambda _activity: (
            _("L'idée est au programme. La personne qui l'a proposée a reçu un message.")
            if proposal is not None
            else _("La série est au programme. Les habitants peuvent s'inscrire à chaque séance.")
            if form.every
            else _("L'activité est au programme. Les habitants peuvent s'inscrire.")
        ),
        success=lambda activity: url_for("activities.detail", activity_id=activity.id),
    )


# -- Residents' ideas --------------------------------------------------------------------


@bp.route("/ideas", methods=["GET", "POST"])
@login_required
def proposals():
    """A resident proposes an activity and sees the answers to their ideas; the coordinator
    sees everyone's, those waiting for an answer first."""
    form = ProposalForm()
    coordinator = has_role(Role.COORDINATOR)

    def page(_error=None):
        return render_template(
            "activities/proposals.html",
            form=form,
            proposals=services.proposals_of(
                g.residence.id, member=None if coordinator else g.membership
            ),
        )

    if not form.is_submitted():
        return page()
    return perform(
        lambda: services.propose(
            g.membership,
            title=form.title.data,
            idea=form.idea.data or "",
            when=form.when.data or "",
        ),
        form=form,
        page=page,
        message=_("Merci ! Votre idée est envoyée à la coordination, qui vous répondra ici."),
        success=lambda _proposal: url_for("activities.proposals"),
    )


@bp.route("/ideas/<int:proposal_id>", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def proposal(proposal_id: int):
    """A resident's idea: put it on the programme, or answer why not."""
    idea = get_for_coordinator_or_404(ActivityProposal, proposal_id)
    form = AnswerForm()

    def page(_error=None):
        return render_template("activities/proposal.html", proposal=idea, form=form)

    if not form.is_submitted():
        return page()
    return perform(
        lambda: services.decline_proposal(g.membership, idea, form.answer.data),
        form=form,
        page=page,
        message=_("Votre réponse est envoyée à la personne qui a proposé l'idée."),
        success=lambda _proposal: url_for("activities.proposals"),
    )


def _filled(form: EditActivityForm, activity: Activity) -> None:
    tz = g.residence.tz
    start, end = to_local(activity.starts_at, tz), to_local(activity.ends_at, tz)
    form.title.data, form.description.data = activity.title, activity.description
    form.category.data, form.place_kind.data = activity.category.value, activity.place_kind.value
    form.day.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
    form.room.data, form.address.data = activity.room_id, activity.address
    form.capacity.data, form.helper_places.data = activity.capacity, activity.helper_places
    form.organiser_kind.data = activity.organiser_kind.value
    form.organiser.data, form.partner_name.data = activity.organiser_id, activity.partner_name
    form.step_free.data, form.seated.data = activity.step_free, activity.seated
    form.hearing_loop.data, form.effort.data = activity.hearing_loop, str(activity.effort)


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def edit(activity_id: int):
    """Change a session (title, time, place, places, …), or this one and the next ones of
    its series. The room follows; registered people keep their place and are told of a new
    time."""
    activity = get_for_coordinator_or_404(Activity, activity_id)
    form = EditActivityForm()
    room_map, members = _plan_choices(form)
    if not form.is_submitted():
        _filled(form, activity)
        return _form_page(form, activity=activity)
    following = activity.series_id is not None and form.scope.data == "following"
    return perform(
        lambda: services.update_activity(
            g.membership,
            activity,
            form.plan(g.residence.tz, room_map, members),
            following=following,
        ),
        form=form,
        page=lambda error: _form_page(form, activity=activity, error=error),
        message=lambda changed: ngettext(
            "C'est changé. Les inscrits gardent leur place ; ils ont un message si l'heure change.",
            "C'est changé pour %(num)d séances. Les inscrits gardent leur place ; ils ont un "
            "message si l'heure change.",
            len(changed),
        ),
        success=lambda _changed: url_for("activities.detail", activity_id=activity.id),
    )


@bp.route("/<int:activity_id>/postpone", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def postpone(activity_id: int):
    """Postpone this session ("pluie : reporté à jeudi"): everyone keeps their place and is
    told; the room moves with it."""
    activity = get_for_coordinator_or_404(Activity, activity_id)
    form = PostponeForm()

    def page(error=None):
        return render_template(
            "activities/postpone.html",
            activity=activity,
            form=form,
            places=services.places_of([activity])[activity.id],
            room_clashes=error.clashes if isinstance(error, services.RoomNotFree) else [],
            overridable=getattr(error, "overridable", False),
        )

    if not form.is_submitted():
        return page()
    return perform(
        lambda: services.postpone(
            g.membership,
            activity,
            form.period(g.residence.tz),
            form.reason.data,
            room_override=form.room_override.data or "",
        ),
        form=form,
        page=page,
        fields={"room": "day"},
        message=_(
            "La séance est reportée. Les inscrits gardent leur place et ont reçu un message."
        ),
        success=lambda _activity: url_for("activities.detail", activity_id=activity.id),
    )


# ---------------------------------------------------------------------------------------
# Roll call and participation

ROLL_CALL_BLOCKS = ["person_row", "roll_count", "live_status"]


def _roll_call_page(activity: Activity, *, form=None, row=None, status_message=None):
    """The roll call; for an htmx tap, the person's row, the count and the announcement."""
    people = services.roll_call(activity)
    now = utcnow()
    context = {
        "activity": activity,
        "now": now,
        "open": not activity.is_cancelled and activity.has_started(now),
        "places": [r for r in people if r.status == RegistrationStatus.CONFIRMED],
        "waiting": [r for r in people if r.status == RegistrationStatus.WAITING],
        "there": sum(1 for r in people if r.attended),
        "mark_url": url_for("activities.mark_attendance", activity_id=activity.id),
        "row": row,
        "status_message": status_message,
    }
    if is_partial() and row is None:
        # Nothing to put back in place of the row: only say what happened.
        status = render_block("activities/roll_call.html", "live_status", **context)
        response = make_response(status)
        response.headers["HX-Reswap"] = "none"
        return response
    listed = {r.membership_id for r in people}
    form = form or AttendanceForm(formdata=None)
    form.person.set_objects(
        [m for m in active_members(g.residence.id) if m.id not in listed],
        lambda m: m.user.full_name,
        empty=_("Choisir une personne"),
    )
    context["walk_in_form"] = form
    return render_page_or_block("activities/roll_call.html", ROLL_CALL_BLOCKS, **context)


@bp.get("/<int:activity_id>/roll-call")
@require_role(Role.COORDINATOR)
def roll_call(activity_id: int):
    """After the start, the coordinator marks who came: one big toggle per person, saved at
    each tap (on a phone, during or after the session)."""
    return _roll_call_page(get_for_coordinator_or_404(Activity, activity_id))


def _said(registration, came: bool) -> str:
    name = registration.membership.user.full_name
    return _("%(name)s : là", name=name) if came else _("%(name)s : pas là", name=name)


@bp.post("/<int:activity_id>/roll-call")
@require_role(Role.COORDINATOR)
def mark_attendance(activity_id: int):
    """One tap: ``person`` came (``came=1``) or not. Without JavaScript, 303 back to the
    roll call at the person's row; with htmx, the row again (the focus stays on its
    button), the count, and the announcement."""
    activity = get_for_coordinator_or_404(Activity, activity_id)
    form = AttendanceForm()
    person = None
    if form.person.data is not None:
        person = get_in_residence_or_404(Membership, form.person.data)
        form.person.set_objects([person], lambda m: m.user.full_name)
    else:
        form.person.choices = [SelectChoice("", "")]
    came = form.came.data == "1"

    def current_row():
        if person is None:
            return None
        return services.registrations_of(person, [activity.id]).get(activity.id)

    def done(registration):
        if is_partial() and registration is not None:
            return _roll_call_page(
                activity, row=registration, status_message=_said(registration, came)
            )
        anchor = f"person-{person.id}" if registration is not None else None
        return url_for("activities.roll_call", activity_id=activity.id, _anchor=anchor)

    return perform(
        lambda: services.mark_attendance(g.membership, activity, person, came),
        form=form,
        page=lambda _error: _roll_call_page(activity, form=form, row=current_row()),
        message=lambda registration: (
            None if is_partial() or registration is None else _said(registration, came)
        ),
        success=done,
    )


def _counts_row(label: str, counts: services.Participation) -> dict:
    """One line of the table, its numbers written as the page's language writes them."""
    return {
        "label": label,
        "sessions": format_number(counts.sessions),
        "participants": format_number(counts.participants),
        "attendances": format_number(counts.attendances),
        "hours": format_decimal(round(counts.hours, 1), format="#,##0.#"),
    }


@bp.get("/attendance")
@require_role(Role.COORDINATOR)
def attendance():
    """Participation month by month, from the roll calls: for the coordinator and the
    landlord's staff (who switch residence to see another one). ``?year=`` another year."""
    now = utcnow()
    tz = g.residence.tz
    this_year = to_local(now, tz).year
    year = request.args.get("year", default=this_year, type=int)
    if not 2000 <= year <= this_year:
        abort(404)
    months, total = services.monthly_counts(g.residence.id, year, now=now)
    tw = request_words()
    first_year = to_local(g.residence.created_at, tz).year
    return render_template(
        "activities/attendance.html",
        year=year,
        rows=[_counts_row(tw.month(m.month).capitalize(), m) for m in months],
        total=_counts_row(_("Total %(year)d", year=year), total),
        previous=year - 1 if year > first_year else None,
        following=year + 1 if year < this_year else None,
    )


# ---------------------------------------------------------------------------------------
# The garden's watering rota

GARDEN_BLOCKS = ["slot_row", "rota_warning", "live_status"]


def _garden_page(*, row=None, gone=None, status_message=None):
    """The next two weeks of watering slots, a day at a time, and for the coordinator the
    slots nobody will water in the next three days. For an htmx tap: the slot's line, the
    coordinator's warning and the announcement."""
    now = utcnow()
    today = local_today(g.residence.tz, now)
    context = {
        "now": now,
        "today": today,
        "member": g.membership,
        "row": row,
        "gone": gone,
        "status_message": status_message,
        "empty": (
            services.empty_soon(g.residence, today, now=now) if has_role(Role.COORDINATOR) else None
        ),
    }
    days: dict[dt.date, list] = {}
    for slot in services.coming_slots(g.residence, now=now):
        days.setdefault(slot.day, []).append(slot)
    # The season's note ("les arrosoirs sont dans l'abri") is said once above the rota
    # when every slot has it, rather than on every line.
    notes = {slot.note for slots in days.values() for slot in slots}
    context.update(days=days, common_note=notes.pop() if len(notes) == 1 else "")
    return render_page_or_block("activities/garden.html", GARDEN_BLOCKS, **context)


@bp.get("/garden")
@login_required
def garden():
    """The watering rota: who waters the garden, morning and evening, for two weeks. One
    line per slot with the one button that fits it; the same without JavaScript."""
    return _garden_page()


def _slot_words(slot) -> str:
    tw = request_words()
    return tw.period(slot.local_start(), slot.local_end())


def _claimed(slot) -> str:
    return _("C'est noté : vous arrosez le %(when)s. Merci !", when=_slot_words(slot))


def _released(slot) -> str:
    return _("C'est noté : le créneau du %(when)s est de nouveau libre.", when=_slot_words(slot))


def _offered(slot) -> str:
    return _(
        "C'est noté : le créneau du %(when)s est proposé aux voisins. Il reste à vous tant que "
        "personne ne l'a repris ; vous recevrez alors un message.",
        when=_slot_words(slot),
    )


def _withdrawn(slot) -> str:
    return _("C'est noté : vous arrosez le %(when)s, finalement.", when=_slot_words(slot))


def _accepted(slot) -> str:
    return _(
        "C'est noté : vous arrosez le %(when)s à la place de votre voisin. Vous avez reçu "
        "tous les deux un message.",
        when=_slot_words(slot),
    )


def _tap(slot_id: int, service, said):
    """One tap on a slot's line. Without JavaScript: 303 back to the line (the message is
    flashed); with htmx: the line again (the focus stays on its button), the coordinator's
    warning and the announcement. A refusal (taken, begun) answers 409/422 and says why;
    a slot the coordination has just removed is said so in place of its line."""
    slot = get_in_residence_or_404(WateringSlot, slot_id)

    def done(changed):
        if is_partial():
            return _garden_page(row=changed, status_message=said(changed))
        return url_for("activities.garden", _anchor=f"slot-{slot.id}")

    def refused(error):
        if isinstance(error, services.SlotGone):
            return _garden_page(gone=slot_id)
        return _garden_page(row=slot)

    return perform(
        lambda: service(g.membership, slot),
        form=EmptyForm(),
        page=refused,
        message=lambda changed: None if is_partial() else said(changed),
        success=done,
    )


@bp.post("/garden/<int:slot_id>/claim")
@login_required
def claim_slot(slot_id: int):
    return _tap(slot_id, services.claim, _claimed)


@bp.post("/garden/<int:slot_id>/release")
@login_required
def release_slot(slot_id: int):
    return _tap(slot_id, services.release, _released)


@bp.post("/garden/<int:slot_id>/offer")
@login_required
def offer_slot(slot_id: int):
    return _tap(slot_id, services.offer, _offered)


@bp.post("/garden/<int:slot_id>/accept")
@login_required
def accept_slot(slot_id: int):
    return _tap(slot_id, services.accept, _accepted)


@bp.post("/garden/<int:slot_id>/withdraw")
@login_required
def withdraw_slot(slot_id: int):
    return _tap(slot_id, services.withdraw_offer, _withdrawn)


def _assign_page(slot, form):
    return render_template(
        "activities/assign_slot.html",
        slot=slot,
        form=form,
        now=utcnow(),
        when=_slot_words(slot),
    )


@bp.route("/garden/<int:slot_id>/assign", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def assign_slot(slot_id: int):
    """The coordinator puts a resident on a slot nobody will water (someone without a
    phone who said so at the office). They, and whoever had offered it, get a message."""
    slot = get_in_residence_or_404(WateringSlot, slot_id)
    form = AssignSlotForm()
    members = {m.id: m for m in active_members(g.residence.id)}
    form.person.set_objects(
        members.values(),
        lambda m: f"{m.user.full_name} ({m.home.label})" if m.home else m.user.full_name,
        empty=_("Choisir une personne"),
    )
    if not form.is_submitted():
        return _assign_page(slot, form)
    return perform(
        lambda: services.assign(g.membership, slot, members[form.person.data]),
        form=form,
        page=lambda _error: _assign_page(slot, form),
        message=lambda changed: _(
            "C'est noté : %(name)s arrose le %(when)s. Un message le lui dit.",
            name=members[form.person.data].user.full_name,
            when=_slot_words(changed),
        ),
        success=lambda changed: url_for("activities.garden", _anchor=f"slot-{changed.id}"),
    )


def _remove_page(slot, form, when):
    return render_template(
        "activities/remove_slot.html", slot=slot, form=form, now=utcnow(), when=when
    )


@bp.route("/garden/<int:slot_id>/remove", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def remove_slot(slot_id: int):
    """The coordinator takes a slot off the rota (rain, works, a mistake); whoever held it
    gets a message with the reason. The page says so before the button."""
    slot = get_in_residence_or_404(WateringSlot, slot_id)
    form = RemoveSlotForm()
    when = _slot_words(slot)
    if not form.is_submitted():
        return _remove_page(slot, form, when)

    def said(holder) -> str:
        if holder is None:
            return _("C'est noté : le créneau du %(when)s est retiré.", when=when)
        return _(
            "C'est noté : le créneau du %(when)s est retiré. %(name)s a reçu un message.",
            when=when,
            name=holder.user.full_name,
        )

    def refused(error):
        if isinstance(error, services.SlotGone):
            abort(404)
        return _remove_page(slot, form, when)

    return perform(
        lambda: services.remove_slot(g.membership, slot, reason=form.reason.data or ""),
        form=form,
        page=refused,
        message=said,
        success=lambda _holder: url_for("activities.garden"),
    )


def _season_page(form):
    return render_template("activities/season.html", form=form)


@bp.route("/garden/season", methods=["GET", "POST"])
@require_role(Role.COORDINATOR)
def season():
    """The coordinator makes the season's watering slots in one go: from one day to
    another, morning and/or evening. Sent twice, it creates nothing twice."""
    form = SeasonForm()
    if not form.is_submitted():
        today = local_today(g.residence.tz, utcnow())
        form.first_day.data = today + dt.timedelta(days=1)
        form.last_day.data = today + dt.timedelta(days=31)
        return _season_page(form)
    hours, fields = form.hours()

    def made(season) -> str:
        if not season.created:
            return _("Rien à ajouter : ces créneaux existaient déjà. Ils sont gardés tels quels.")
        text = ngettext(
            "%(num)d créneau d'arrosage ajouté.",
            "%(num)d créneaux d'arrosage ajoutés.",
            season.created,
        )
        if season.existing:
            text += " " + ngettext(
                "%(num)d existait déjà : il est gardé tel quel.",
                "%(num)d existaient déjà : ils sont gardés tels quels.",
                season.existing,
            )
        return text

    return perform(
        lambda: services.create_slots(
            g.membership,
            form.first_day.data,
            form.last_day.data,
            hours,
            note=form.note.data or "",
        ),
        form=form,
        fields={"first_day": "first_day", "last_day": "last_day", **fields},
        page=lambda _error: _season_page(form),
        message=made,
        success=lambda _season: url_for("activities.garden"),
    )
