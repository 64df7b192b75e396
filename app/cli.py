"""``flask --app wsgi demo`` and other operator commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from app.extensions import db

DEMO_PASSWORD = "maison-commune-demo"  # noqa: S105 - documented demo password

DEMO_RESIDENCES = [
    # key, name, address, number of homes, label pattern
    ("armentieres", "Maison de Marianne d'Armentières", "Rue de Lille, 59280 Armentières", 100),
    ("bezu", "Béguinage de Bézu-Saint-Germain", "Rue du Béguinage, 02400 Bézu-Saint-Germain", 12),
    ("hirson", "Résidence Thierry Sabine", "Rue Thierry Sabine, 02500 Hirson", 29),
]

# How to reach each coordination (phone, office hours, office). The numbers are in the
# range ARCEP keeps for fiction (03 53 01 xx xx): they ring nobody. Hirson has none yet, so
# the demo shows what residents read then.
DEMO_CONTACTS = {
    "armentieres": (
        "03 53 01 24 60",
        "le mardi et le jeudi, de 9 h à 17 h",
        "Bureau au rez-de-chaussée, à côté de la salle commune",
    ),
    "bezu": ("03 53 01 38 12", "le lundi matin, de 9 h à 12 h", "Maison commune du béguinage"),
}
# The same in English (hours, place), for English readers.
DEMO_CONTACTS_EN = {
    "armentieres": (
        "Tuesdays and Thursdays, 9 am to 5 pm",
        "Office on the ground floor, next to the common room",
    ),
}

# username, full name, residence key, role, home label
DEMO_USERS = [
    ("coordination.armentieres", "Sophie Lambert", "armentieres", "coordinator", None),
    ("comite.armentieres", "Bernard Petit", "armentieres", "committee", "A07"),
    ("jeanne.martin", "Jeanne Martin", "armentieres", "resident", "A12"),
    ("lucas.bernard", "Lucas Bernard", "armentieres", "resident", "B03"),
    ("odette.leroy", "Odette Leroy", "armentieres", "resident", "A02"),
    ("karim.haddad", "Karim Haddad", "armentieres", "resident", "B21"),
    ("coordination.bezu", "Nadia Moreau", "bezu", "coordinator", None),
    ("marcel.dupont", "Marcel Dupont", "bezu", "resident", "M04"),
    ("coordination.hirson", "Julien Fontaine", "hirson", "coordinator", None),
]


def _home_labels(key: str, count: int) -> list[str]:
    if key == "armentieres":
        half = count // 2
        return [f"A{n:02d}" for n in range(1, half + 1)] + [
            f"B{n:02d}" for n in range(1, count - half + 1)
        ]
    prefix = "M" if key == "bezu" else "L"
    return [f"{prefix}{n:02d}" for n in range(1, count + 1)]


def load_demo(now=None) -> list[tuple[str, str]]:
    """Create the demo landlord, residences and logins; does nothing twice. ``now`` is for
    tests: the demo's days are counted from it (any day of the week must work)."""
    from app.core.permissions import Role
    from app.residences.models import Home, Membership, Organisation, Residence
    from app.users.models import User
    from app.users.services import hash_password

    org = db.session.scalar(sa.select(Organisation).where(Organisation.name == "Bailleur démo"))
    if org is None:
        org = Organisation(name="Bailleur démo")
        db.session.add(org)
    residences: dict[str, Residence] = {}
    for key, name, address, count in DEMO_RESIDENCES:
        residence = db.session.scalar(
            sa.select(Residence).where(Residence.name == name, Residence.organisation == org)
        )
        if residence is None:
            residence = Residence(name=name, address=address, organisation=org)
            residence.homes = [Home(label=label) for label in _home_labels(key, count)]
            db.session.add(residence)
        if key in DEMO_CONTACTS and not residence.has_contact:
            phone, hours, place = DEMO_CONTACTS[key]
            residence.contact_phone, residence.contact_hours = phone, hours
            residence.contact_place = place
            if key in DEMO_CONTACTS_EN:
                residence.contact_hours_en, residence.contact_place_en = DEMO_CONTACTS_EN[key]
        residences[key] = residence
    db.session.flush()

    password_hash = hash_password(DEMO_PASSWORD)
    logins = []

    def ensure_user(username: str, full_name: str) -> User:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = User(
                username=username, full_name=full_name, password_hash=password_hash, locale="fr"
            )
            db.session.add(user)
        return user

    def ensure_membership(user: User, residence: Residence, role: Role, label: str | None):
        if any(m.residence_id == residence.id for m in user.memberships):
            return
        home = None
        if label:
            home = next(h for h in residence.homes if h.label == label)
        db.session.add(Membership(user=user, residence=residence, role=role, home=home))

    for username, full_name, key, role, label in DEMO_USERS:
        user = ensure_user(username, full_name)
        db.session.flush()
        ensure_membership(user, residences[key], Role(role), label)
        logins.append((username, f"{role} — {residences[key].name}"))
    admin = ensure_user("bailleur.admin", "Claire Vasseur")
    db.session.flush()
    for key, *_ in DEMO_RESIDENCES:
        ensure_membership(admin, residences[key], Role.LANDLORD_ADMIN, None)
    logins.append(("bailleur.admin", "landlord_admin — 3 résidences"))
    db.session.commit()
    load_demo_rooms(now)
    db.session.commit()
    load_demo_activities(now)
    db.session.commit()
    load_demo_rota(now)
    db.session.commit()
    load_demo_charter(now)
    db.session.commit()
    return logins


# The founding charter of Armentières (number, title, text), then the articles adopted
# since by the residents' votes.
DEMO_FOUNDING = [
    (1, "Heures calmes", "De 22 h à 7 h, on baisse le son : télévision, musique, portes. "
     "Les travaux bruyants se font en semaine, de 9 h à 18 h."),
    (2, "La salle commune", "La salle commune est à tous. On la réserve dans l'application ou "
     "auprès de la coordination, et on la rend propre et rangée."),
    (3, "Le jardin partagé", "Chacun peut jardiner. Les outils retournent dans l'abri après "
     "usage ; en été, on arrose le soir."),
    (4, "Les animaux", "Les animaux sont les bienvenus dans les logements. Dans les parties "
     "communes, les chiens sont tenus en laisse."),
    (5, "Le respect", "On se salue, on s'écoute, on s'entraide. Un désaccord se règle en "
     "parlant, avec l'aide de la coordination si besoin."),
]  # fmt: skip
DEMO_ADOPTED = [
    # days ago the vote closed, author, title, text
    (300, "odette.leroy", "Les invités", "Vos invités sont les bienvenus. La chambre d'amis "
     "se réserve pour trois nuits au plus, et on prévient ses voisins d'une fête."),
    (200, "karim.haddad", "Les scooters et fauteuils électriques", "Les scooters et fauteuils "
     "électriques se garent et se rechargent dans le local du rez-de-chaussée, jamais dans "
     "les couloirs."),
    (120, "lucas.bernard", "Le tri", "On trie ses déchets : le bac jaune pour les emballages, "
     "le bac vert pour le verre. Les encombrants se signalent à la coordination."),
]  # fmt: skip


def _demo_armentieres(*, unless_it_has):
    """The demo's Armentières and its members by username, or None when it does not exist
    or already has rows of the model ``unless_it_has`` (each part of the demo loads once)."""
    from app.residences.models import Membership, Residence
    from app.users.models import User

    residence = db.session.scalar(
        sa.select(Residence).where(Residence.name == DEMO_RESIDENCES[0][1])
    )
    if residence is None or db.session.scalar(
        sa.select(sa.func.count(unless_it_has.id)).where(unless_it_has.residence_id == residence.id)
    ):
        return None
    members = {
        m.user.username: m
        for m in db.session.scalars(
            sa.select(Membership)
            .join(Membership.user)
            .where(Membership.residence_id == residence.id, User.username.is_not(None))
        )
    }
    return residence, members


def load_demo_charter(now=None) -> None:
    """Armentières' charter of 8 articles (5 founding, 3 adopted by votes since); the closed
    vote on pets in the common room (adopted, with its minutes); a secret vote open now on
    quiet hours, in which every demo resident may vote, closing in four days (Jeanne holds
    Odette's proxy for it); a question with several choices decided twelve days ago (the
    day of the market outing: Jeudi); a proposal in discussion with two comments, and a
    draft."""
    import datetime as dt

    from app.core.db import utcnow
    from app.core.timeutils import local_today, to_utc
    from app.votes import charter_services as charter
    from app.votes import proxies
    from app.votes import services as votes
    from app.votes.models import Article, ChangeKind, Electorate, Majority, ProposalStatus

    found = _demo_armentieres(unless_it_has=Article)
    if found is None:
        return
    residence, members = found
    now = now or utcnow()
    day = dt.timedelta(days=1)
    committee = members["comite.armentieres"]
    founded = now - 400 * day
    articles = {}
    for number, title, text in DEMO_FOUNDING:
        article = Article(
            residence_id=residence.id, number=number, title=title, text=text, updated_at=founded
        )
        article.created_at = founded
        db.session.add(article)
        articles[number] = article
    db.session.flush()

    def past_vote(proposal, closed_days_ago, ballots):
        """A vote per home that ran for a fortnight and closed ``closed_days_ago``."""
        closes = now - closed_days_ago * day
        proposal.created_at = min(proposal.created_at, closes - 30 * day)
        vote = votes.create_vote(
            committee, proposal, votes.preset("charte", closes - 14 * day, closes_at=closes)
        )
        for username, choice in ballots:
            votes.cast(members[username], vote, choice, now=closes - 3 * day)
        votes.refresh_status(vote, closes)
        return vote

    yes = [
        ("comite.armentieres", "pour"),
        ("jeanne.martin", "pour"),
        ("odette.leroy", "pour"),
        ("lucas.bernard", "contre"),
    ]
    for days_ago, author, title, text in DEMO_ADOPTED:
        proposal = votes.create_proposal(members[author], title, text)
        past_vote(proposal, days_ago, yes)

    # Pets in the common room: adopted ten days ago, with its minutes.
    pets = votes.create_proposal(
        members["odette.leroy"],
        "Les animaux dans la salle commune",
        "Les animaux sont les bienvenus dans les logements. Dans les parties communes, les "
        "chiens sont tenus en laisse. Ils peuvent venir dans la salle commune, sauf pendant "
        "les repas partagés.",
        why="Mon chien Filou aime les après-midi jeux ; il est calme et ne gêne personne.",
        summary="Les chiens en laisse peuvent venir dans la salle commune, sauf aux repas.",
        change=ChangeKind.CHANGE,
        article=articles[4],
    )
    pets.created_at = now - 45 * day
    votes.move_proposal(committee, pets, ProposalStatus.DISCUSSION)
    charter.add_comment(
        members["karim.haddad"], pets, "D'accord, si le chien reste en laisse.", now=now - 30 * day
    )
    past_vote(
        pets,
        10,
        [
            ("comite.armentieres", "pour"),
            ("odette.leroy", "pour"),
            ("karim.haddad", "pour"),
            ("jeanne.martin", "contre"),
            ("lucas.bernard", "abstention"),
        ],
    )

    # The market outing: a question with several choices, decided twelve days ago (public,
    # every resident one vote); the charter is untouched.
    market = votes.create_proposal(
        committee,
        "Quel jour pour la sortie au marché ?",
        "La coordination accompagne le groupe en minibus, départ 9 h 30, retour vers midi.",
        why="Le marché du vendredi n'existe plus ; on choisit ensemble un autre jour.",
        summary="On choisit le jour de la sortie au marché.",
        change=ChangeKind.QUESTION,
    )
    market_closes = now - 12 * day
    market.created_at = market_closes - 20 * day
    votes.move_proposal(committee, market, ProposalStatus.DISCUSSION)
    market_vote = votes.create_vote(
        committee,
        market,
        votes.preset(
            "association",
            market_closes - 7 * day,
            closes_at=market_closes,
            majority=Majority.PLURALITY,
            labels=("Mardi", "Jeudi", "Samedi"),
            options=("c1", "c2", "c3", "abstention"),
        ),
    )
    for username, choice in (
        ("comite.armentieres", "c2"),
        ("jeanne.martin", "c2"),
        ("odette.leroy", "c1"),
        ("karim.haddad", "c2"),
        ("lucas.bernard", "abstention"),
    ):
        votes.cast(members[username], market_vote, choice, now=market_closes - 2 * day)
    votes.refresh_status(market_vote, market_closes)

    # Quiet hours: a secret vote open now, every resident one vote, closing in four days.
    quiet = votes.create_proposal(
        members["jeanne.martin"],
        "Heures calmes le dimanche",
        "De 22 h à 7 h, et le dimanche de 13 h à 15 h, on baisse le son : télévision, "
        "musique, portes. Les travaux bruyants se font en semaine, de 9 h à 18 h.",
        why="Beaucoup d'entre nous font la sieste le dimanche après le repas.",
        summary="On ajoute un moment calme le dimanche, de 13 h à 15 h.",
        change=ChangeKind.CHANGE,
        article=articles[1],
    )
    quiet.created_at = now - 20 * day
    votes.move_proposal(committee, quiet, ProposalStatus.DISCUSSION)
    quiet_vote = votes.create_vote(
        committee,
        quiet,
        votes.preset(
            "charte",
            now - 2 * day,
            # Four days on, at 6 p.m. local time (a time people remember).
            closes_at=to_utc(
                dt.datetime.combine(local_today(residence.tz, now) + 4 * day, dt.time(18)),
                residence.tz,
            ),
            electorate=Electorate.RESIDENTS,
            quorum_percent=50,
        ),
    )
    # Odette is away at her daughter's this week: Jeanne holds her proxy for this vote.
    proxies.give_proxy(
        members["odette.leroy"], members["jeanne.martin"], vote=quiet_vote, now=now - day
    )

    # Bikes in the courtyard: in discussion, two comments.
    bikes = votes.create_proposal(
        members["lucas.bernard"],
        "Les vélos dans la cour",
        "Les vélos se rangent dans le local à vélos, pas dans la cour ni dans les couloirs.",
        why="Des vélos bloquent l'entrée et les fauteuils ne passent plus.",
        summary="Les vélos vont au local à vélos.",
    )
    bikes.created_at = now - 5 * day
    votes.move_proposal(committee, bikes, ProposalStatus.DISCUSSION)
    charter.add_comment(
        members["odette.leroy"],
        bikes,
        "Et les trottinettes de mes petits-enfants quand ils viennent le dimanche ?",
        now=now - 2 * day,
    )
    charter.add_comment(
        committee,
        bikes,
        "Bonne question : on en parle à la réunion de jeudi, avant de la mettre au vote.",
        now=now - day,
    )
    # A draft, still being written by its author.
    votes.create_proposal(
        members["karim.haddad"],
        "Le barbecue au jardin",
        "Le barbecue est permis au jardin le samedi, jusqu'à 22 h, en prévenant la coordination.",
    )


def load_demo_rota(now=None) -> None:
    """Armentières' watering rota for the coming week, morning and evening: most turns of
    the next three days taken, Odette's turn of the day after tomorrow offered (she cannot
    go), tomorrow morning's free; some free later in the week."""
    import datetime as dt

    from app.activities import services as activities
    from app.activities.models import WateringSlot
    from app.core.db import utcnow
    from app.core.timeutils import local_today

    found = _demo_armentieres(unless_it_has=WateringSlot)
    if found is None:
        return
    residence, members = found
    now = now or utcnow()
    tomorrow = local_today(residence.tz, now) + dt.timedelta(days=1)
    activities.create_slots(
        members["coordination.armentieres"],
        tomorrow,
        tomorrow + dt.timedelta(days=6),
        [(dt.time(8), dt.time(8, 30)), (dt.time(19), dt.time(19, 30))],
        note="Les arrosoirs sont dans l'abri de jardin ; la clé est au bureau.",
        now=now,
    )
    slots = activities.rota(residence, tomorrow, tomorrow + dt.timedelta(days=6))
    # Morning and evening of each day, from tomorrow: who has taken each (None: free).
    holders = [
        None, "karim.haddad",
        "odette.leroy", "jeanne.martin",
        "karim.haddad", "lucas.bernard",
        None, "jeanne.martin",
        "odette.leroy", None,
    ]  # fmt: skip
    for slot, username in zip(slots, holders, strict=False):
        if username:
            activities.claim(members[username], slot, now=now)
    activities.offer(members["odette.leroy"], slots[2], now=now)


def register_cli(app: Flask) -> None:
    register_residence_cli(app)

    @app.cli.command("demo")
    def demo_command():
        """Load the demo residences and logins (safe to run again)."""
        logins = load_demo()
        click.echo("Demo data ready. Every password is: " + DEMO_PASSWORD)
        for username, what in logins:
            click.echo(f"  {username:<28} {what}")

    @app.cli.command("deliver-mail")
    @click.option("--every", type=int, default=0, help="Keep running, every N seconds.")
    def deliver_mail_command(every: int):
        """Send by e-mail the messages waiting to go (run it from cron every minute, or
        with --every 30 as a service). Several servers may run it: each message goes once."""
        import time

        from app.messages.services import deliver_mail

        if not app.config.get("MAIL_SERVER"):
            click.echo("No SMTP server (FLASK_MAIL_SERVER): messages stay in the app only.")
            return
        while True:
            sent, failed = deliver_mail()
            if sent or failed or not every:
                click.echo(f"{sent} sent, {failed} failed (tried again later)")
            if not every:
                return
            time.sleep(every)

    @app.cli.command("vote-reminders")
    def vote_reminders_command():
        """Remind those who have not voted, the day before a vote closes (run it from cron,
        every hour or so). Each vote's reminder goes once, even with several servers."""
        from app.votes.charter_services import send_reminders

        done = send_reminders()
        click.echo(f"{done.votes} vote(s) reminded, {done.messages} message(s) left")

    @app.cli.command("rota-reminders")
    def rota_reminders_command():
        """Remind each watering turn's holder the day before (run it from cron, every hour
        or so). Each turn's reminder goes once, even with several servers."""
        from app.activities.services import remind_holders

        click.echo(f"{remind_holders()} watering reminder(s) left")

    @app.cli.command("purge")
    def purge_command():
        """Retention (run it from cron once a day): erase the accounts deactivated for longer
        than their residence keeps them, delete invitations expired long ago, and reduce
        audit entries older than AUDIT_RETENTION_MONTHS to monthly counts. Idempotent;
        several servers may run it at once."""
        from app.privacy.services import purge

        report = purge()
        click.echo(
            f"{report.erased} account(s) erased, {report.invitations} invitation(s) deleted, "
            f"{report.audit_entries} audit entr(y/ies) reduced to counts"
        )

    @app.cli.command("demo-if-empty")
    def demo_if_empty_command():
        """Load the demo data only when the database has no residence yet (used by make run)."""
        from app.residences.models import Residence

        if db.session.scalar(sa.select(sa.func.count(Residence.id))):
            click.echo("The database already has data: demo not loaded.")
            return
        demo_command.callback()


def load_demo_rooms(now=None) -> None:
    """Armentières' rooms (DESIGN §5 / issue 3) and some bookings in the coming weeks."""
    import datetime as dt

    from app.bookings import services as bookings
    from app.core.db import utcnow
    from app.core.recurrence import Weekly
    from app.core.timeutils import Period, local_today
    from app.rooms.models import BookingMode, Room
    from app.rooms.services import create_room

    found = _demo_armentieres(unless_it_has=Room)
    if found is None:
        return
    residence, members = found
    coordinator = members["coordination.armentieres"]
    every_day = range(7)
    common = create_room(
        coordinator,
        name="Salle commune",
        description="Grande salle au rez-de-chaussée avec cuisine équipée, tables et chaises.",
        capacity=40,
        accessibility="De plain-pied, boucle magnétique, toilettes accessibles.",
        slot_minutes=60,
        min_minutes=120,
        max_minutes=360,
        max_days_ahead=90,
        cancel_hours=48,
        per_household_week=2,
        max_active_per_household=3,
        buffer_minutes=60,
        openings=[(d, dt.time(9), dt.time(22)) for d in every_day],
    )
    guest = create_room(
        coordinator,
        name="Chambre d'amis",
        description="Chambre avec deux lits simples et salle d'eau, pour vos invités.",
        capacity=2,
        accessibility="Au rez-de-chaussée, douche à l'italienne.",
        mode=BookingMode.NIGHTS,
        min_nights=1,
        max_nights=3,
        max_days_ahead=120,
        cancel_hours=72,
        max_active_per_household=1,
        requires_approval=True,
    )
    washers = create_room(
        coordinator,
        name="Laverie – lave-linge",
        description="Deux lave-linge identiques. Lessive fournie.",
        accessibility="Hublots à hauteur de fauteuil.",
        slot_minutes=60,
        min_minutes=60,
        max_minutes=120,
        max_days_ahead=14,
        cancel_hours=1,
        per_household_week=3,
        openings=[(d, dt.time(8), dt.time(20)) for d in every_day],
        unit_names=["Lave-linge 1", "Lave-linge 2"],
    )
    create_room(
        coordinator,
        name="Laverie – sèche-linge",
        description="Un sèche-linge.",
        slot_minutes=60,
        min_minutes=60,
        max_minutes=120,
        max_days_ahead=14,
        cancel_hours=1,
        per_household_week=3,
        openings=[(d, dt.time(8), dt.time(20)) for d in every_day],
    )
    now = now or utcnow()
    tz = residence.tz
    today = local_today(tz, now)

    def day(offset: int) -> dt.date:
        return today + dt.timedelta(days=offset)

    def hours(offset: int, start: int, end: int) -> Period:
        return Period.from_local(
            dt.datetime.combine(day(offset), dt.time(start)),
            dt.datetime.combine(day(offset), dt.time(end)),
            tz,
        )

    bookings.reserve(
        members["jeanne.martin"],
        common,
        hours(5, 14, 18),
        purpose="Anniversaire de Jeanne",
        now=now,
    )
    bookings.reserve(members["karim.haddad"], washers, hours(1, 10, 11), now=now)
    bookings.reserve(members["odette.leroy"], washers, hours(1, 10, 11), now=now)
    bookings.reserve(
        coordinator,
        common,
        hours(9, 14, 16),
        for_user=members["odette.leroy"],
        purpose="Goûter avec la famille",
        now=now,
    )
    bookings.reserve(
        members["lucas.bernard"],
        guest,
        Period.from_local(
            dt.datetime.combine(day(12), guest.checkin_time),
            dt.datetime.combine(day(14), guest.checkout_time),
            tz,
        ),
        purpose="Visite de ma sœur",
        now=now,
    )
    bookings.create_series(
        coordinator,
        common,
        weekly=Weekly(weekday=1, first=today, until=day(60)),
        start_time=dt.time(14),
        end_time=dt.time(16),
        purpose="Club tricot",
        now=now,
    )


def load_demo_activities(now=None) -> None:
    """Armentières' coming month: gentle gym every Tuesday and a cooking workshop with
    student helpers in the salle commune (which they book), the garden on Saturdays (the
    first one postponed for rain), and a full outing with a waiting list."""
    import datetime as dt

    from app.activities import services as activities
    from app.activities.models import Activity, Category, Effort, OrganiserKind, PlaceKind
    from app.core.db import utcnow
    from app.core.timeutils import Period, local_today
    from app.rooms.models import Room

    found = _demo_armentieres(unless_it_has=Activity)
    if found is None:
        return
    residence, members = found
    common = db.session.scalar(
        sa.select(Room).where(Room.residence_id == residence.id, Room.name == "Salle commune")
    )
    coordinator = members["coordination.armentieres"]
    tz = residence.tz
    today = local_today(tz, now or utcnow())

    def hours(offset: int, start: int, end: int) -> Period:
        day = today + dt.timedelta(days=offset)
        return Period.from_local(
            dt.datetime.combine(day, dt.time(start)), dt.datetime.combine(day, dt.time(end)), tz
        )

    def next_weekday(weekday: int) -> int:
        """Days from today to the next ``weekday`` (0 = Monday), tomorrow at the earliest."""
        return (weekday - today.weekday() - 1) % 7 + 1

    tuesday, thursday, friday, saturday = (next_weekday(d) for d in (1, 3, 4, 5))
    _series, gyms = activities.create_series(
        coordinator,
        activities.Plan(
            title="Gym douce",
            category=Category.ANIMATION,
            period=hours(tuesday, 10, 11),
            capacity=12,
            place_kind=PlaceKind.ROOM,
            room=common,
            description="Étirements et équilibre, sur une chaise ou debout. Tenue souple.",
            organiser_kind=OrganiserKind.PARTNER,
            partner_name="Association Siel Bleu",
            step_free=True,
            seated=True,
            hearing_loop=True,
        ),
        every=1,
        until=today + dt.timedelta(days=tuesday + 28),
    )
    gym = gyms[0]
    cooking = activities.create_activity(
        coordinator,
        activities.Plan(
            title="Atelier cuisine : soupe d'hiver",
            category=Category.WORKSHOP,
            period=hours(thursday, 10, 12),
            capacity=10,
            helper_places=3,
            place_kind=PlaceKind.ROOM,
            room=common,
            description="On épluche, on cuisine, on mange ensemble. Les étudiants aident.",
            step_free=True,
            effort=Effort.MODERATE,
        ),
    )
    _series, gardens = activities.create_series(
        coordinator,
        activities.Plan(
            title="Jardin partagé",
            category=Category.GARDEN,
            period=hours(saturday, 10, 12),
            capacity=8,
            place_kind=PlaceKind.GARDEN,
            description="Planter les bulbes, tailler, arroser : chacun à son rythme.",
            organiser_kind=OrganiserKind.RESIDENT,
            organiser=members["karim.haddad"],
            step_free=True,
            effort=Effort.MODERATE,
        ),
        every=1,
        until=today + dt.timedelta(days=saturday + 21),
    )
    market = activities.create_activity(
        coordinator,
        activities.Plan(
            title="Sortie au marché",
            category=Category.OUTING,
            period=hours(friday, 9, 11),
            capacity=2,
            place_kind=PlaceKind.OUTSIDE,
            address="Marché de la place du Général-de-Gaulle",
            effort=Effort.MODERATE,
        ),
    )
    activities.register(members["karim.haddad"], gardens[0])
    # An idea waiting for the coordinator's answer.
    activities.propose(
        members["odette.leroy"],
        title="Atelier tricot",
        idea="Je peux montrer aux débutants. Il faudrait de la laine et des aiguilles.",
        when="le jeudi après-midi",
    )
    # Rain is forecast for the first Saturday: the garden moves to Sunday, Karim keeps his place.
    activities.postpone(coordinator, gardens[0], hours(saturday + 1, 10, 12), "pluie annoncée")
    for username in ("jeanne.martin", "odette.leroy"):
        activities.register(members[username], gym)
    activities.register(members["lucas.bernard"], cooking, as_helper=True)
    for username in ("jeanne.martin", "karim.haddad", "odette.leroy"):
        activities.register(members[username], market)  # Odette waits: the outing is full


def create_residence(
    name: str,
    organisation_name: str,
    *,
    address: str = "",
    timezone: str = "Europe/Paris",
    locale: str = "fr",
    coordinator_name: str,
):
    """A new residence with its first coordinator, who gets an invitation like everyone.

    Returns (residence, invitation, code). The code is printed once for the operator.
    """
    import datetime as dt
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from app.core.audit import record
    from app.core.db import utcnow
    from app.core.permissions import Role
    from app.residences.models import Membership, Organisation, Residence
    from app.residents.models import Invitation, hash_code, new_code
    from app.users.models import User

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {timezone!r}") from None
    organisation = db.session.scalar(
        sa.select(Organisation).where(Organisation.name == organisation_name)
    )
    if organisation is None:
        organisation = Organisation(name=organisation_name)
        db.session.add(organisation)
    residence = Residence(
        name=name,
        organisation=organisation,
        address=address,
        timezone=timezone,
        default_locale=locale,
    )
    coordinator = User(full_name=coordinator_name, locale=locale)
    membership = Membership(user=coordinator, residence=residence, role=Role.COORDINATOR)
    db.session.add_all([residence, coordinator, membership])
    db.session.flush()
    code = new_code()
    from flask import current_app

    invitation = Invitation(
        residence_id=residence.id,
        user_id=coordinator.id,
        code_hash=hash_code(code),
        expires_at=utcnow() + dt.timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    record("residence.created", residence_id=residence.id, target=residence)
    return residence, invitation, code


def register_residence_cli(app: Flask) -> None:
    @app.cli.command("create-residence")
    @click.argument("name")
    @click.option("--organisation", required=True, help="The landlord (created if new).")
    @click.option(
        "--coordinator",
        "coordinator_name",
        required=True,
        help="Full name of the first coordinator.",
    )
    @click.option("--address", default="")
    @click.option("--timezone", default="Europe/Paris", show_default=True)
    @click.option(
        "--language", "locale", type=click.Choice(["fr", "en"]), default="fr", show_default=True
    )
    def create_residence_command(name, organisation, coordinator_name, address, timezone, locale):
        """Create a residence and its first coordinator's invitation."""
        from app.residents.models import format_code

        residence, invitation, code = create_residence(
            name,
            organisation,
            address=address,
            timezone=timezone,
            locale=locale,
            coordinator_name=coordinator_name,
        )
        db.session.commit()
        click.echo(f"Residence {residence.name!r} created (id {residence.id}).")
        click.echo(
            f"Give {coordinator_name} this invitation code, valid until "
            f"{invitation.expires_at:%Y-%m-%d}: {format_code(code)}"
        )
        click.echo("They type it at /activate on the site, then choose a username and password.")
