"""What a calendar feed holds (DESIGN §5): read from bookings and activities, which know
nothing of calendars.

The personal feed is a person's bookings and the activities they joined. An activity on the
waiting list is in it too, marked "liste d'attente" and tentative: a resident who asked for
a place wants to keep the time free in case one frees up (and is told in "Mes messages"
when it does); leaving the list takes it out, like leaving the activity. Cancelled
activities are left out: a phone removes an event that is no longer in the feed.

The programme feed, with the same secret address, is the whole programme of the person's
residence (of each, for someone in several): what is planned in the next three months and
what took place in the last month, not what was cancelled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.activities import services as activities
from app.activities.models import Activity, Registration
from app.bookings import services as bookings
from app.bookings.models import Booking
from app.residences.models import Residence
from app.users.models import User
from app.users.services import user_of_calendar

PROGRAMME_PAST = dt.timedelta(days=31)
PROGRAMME_AHEAD = dt.timedelta(days=92)


def feed_owner(token: str) -> User | None:
    """Whose feed a secret address is: None for an unknown or revoked address, or a person
    who has left every residence."""
    user = user_of_calendar(token)
    if user is None or not user.is_active:
        return None
    return user


@dataclass
class PersonalFeed:
    bookings: list[Booking]
    registrations: list[Registration]


def personal_feed(user: User) -> PersonalFeed:
    """The person's active bookings (not the rooms held for activities: the activity is
    shown instead) and their registrations to activities that still take place, in the
    residences where they are still a member."""
    residences = {m.residence_id for m in user.active_memberships}
    return PersonalFeed(
        bookings=[b for b in bookings.feed_bookings(user.id) if b.residence_id in residences],
        registrations=[
            r
            for r in activities.feed_registrations(user.id)
            if r.membership.residence_id in residences
        ],
    )


def programme_feed(user: User, *, now: dt.datetime) -> list[tuple[Residence, list[Activity]]]:
    """Each of the person's residences with its activities from a month ago to three months
    ahead, cancelled ones left out (nothing of another residence)."""
    start, end = now - PROGRAMME_PAST, now + PROGRAMME_AHEAD
    return [
        (
            m.residence,
            [
                a
                for a in activities.programme(m.residence_id, start=start, end=end)
                if not a.is_cancelled
            ],
        )
        for m in user.active_memberships
    ]
