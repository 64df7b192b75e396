"""Accounts: passwords (argon2id), login, session versions, preferences."""

from __future__ import annotations

import functools
import itertools
import re
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from app.core.audit import record
from app.core.db import MAX_ID, built_once, utcnow
from app.core.errors import DomainError
from app.core.i18n import lazy_gettext as _l
from app.extensions import db
from app.users.models import TEXT_SIZES, User

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
# Made once per argon2 setting (at the first login), so that a login for an unknown username
# costs one verification, as a real one does, and no hashing.
_DUMMY_HASH: dict[str, str] = {}


class BadCredentials(DomainError):
    default_message = _l(
        "Identifiant ou mot de passe incorrect. Par sécurité, le mot de passe a été effacé : "
        "tapez-le de nouveau."
    )


class WeakPassword(DomainError):
    default_message = _l("Le mot de passe doit contenir au moins 12 caractères.")


class CommonPassword(WeakPassword):
    default_message = _l(
        "Ce mot de passe est trop courant : il serait vite deviné. Choisissez plutôt une "
        "phrase à vous, par exemple trois ou quatre mots qui vont ensemble pour vous."
    )


class UsernameTaken(DomainError):
    default_message = _l("Ce nom d'utilisateur est déjà pris. Choisissez-en un autre.")


class BadUsername(DomainError):
    default_message = _l(
        "Le nom d'utilisateur doit faire de 3 à 40 caractères : lettres sans accents, "
        "chiffres, point, tiret."
    )


def hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["ARGON2_PARAMS"])


def hash_password(password: str) -> str:
    check_password_strength(password)
    return hasher().hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH or len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(field="password")
    if is_common_password(password):
        raise CommonPassword(field="password")


# Rows of keys and runs of letters or digits people type as a password ("azertyuiop123").
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "qwertzuiop",
    "yxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "1q2w3e4r5t6y7u8i9o0p",
    "a1z2e3r4t5y6u7i8o9p0",
)
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The bundled list (``common_passwords.txt``): read once, from no outside service."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _follows(a: str, b: str) -> bool:
    """Whether ``b`` comes right after ``a`` (or before it) in one of the sequences."""
    for sequence in _SEQUENCES:
        for i in range(len(sequence) - 1):
            pair = sequence[i : i + 2]
            if pair in (a + b, b + a):
                return True
    return False


def _runs(text: str) -> int:
    """How many runs along a sequence ``text`` is made of ("azerty123" is 2), or 99 when a
    run is shorter than three characters."""
    runs, length = 1, 1
    for a, b in itertools.pairwise(text):
        if _follows(a, b) or a == b:
            length += 1
            continue
        if length < 3:
            return 99
        runs, length = runs + 1, 1
    return runs if length >= 3 else 99


def is_common_password(password: str) -> bool:
    """A password an attacker tries first: on the list of common passwords, or one of them
    with a few digits or signs around it ("motdepasse123"), a few characters repeated
    ("aaaaaaaaaaaa", "abcabcabcabc"), or runs along the keyboard or the alphabet
    ("azertyuiop123", "123456789012")."""
    text = "".join(password.lower().split())
    common = _common_passwords()
    if text in common or len(set(text)) < 5:
        return True
    core = text.strip("0123456789!?.,;:-_@#$%&*+=/\\'\"()[]{}<> ")
    if len(core) >= 4 and core in common and len(text) - len(core) <= 4:
        return True
    for size in range(1, len(text) // 2 + 1):  # "abcabcabcabc", "soleil soleil"
        repeated = len(text) % size == 0 and text == text[:size] * (len(text) // size)
        if repeated and (size <= 4 or text[:size] in common):
            return True
    return _runs(text) <= 3


def normalise_username(raw: str) -> str:
    return raw.strip().lower()


def check_username_available(username: str, *, exclude_user_id: int | None = None) -> str:
    username = normalise_username(username)
    if not USERNAME_RE.match(username):
        raise BadUsername(field="username")
    query = sa.select(User.id).where(User.username == username)
    if exclude_user_id is not None:
        query = query.where(User.id != exclude_user_id)
    if db.session.scalar(query) is not None:
        raise UsernameTaken(field="username")
    return username


@built_once
def _session_user_query():
    from sqlalchemy.orm import joinedload

    from app.residences.models import Membership

    return (
        sa.select(User)
        .options(
            joinedload(User.memberships).joinedload(Membership.residence),
            joinedload(User.memberships).joinedload(Membership.home),
        )
        .where(User.id == sa.bindparam("user_id"))
    )


def load_session_user(user_id: int, session_version: int) -> User | None:
    """The user of a session cookie, with their memberships, residences and homes: one query
    for what every page needs. None when the cookie is stale or the account is closed."""
    if not 0 < user_id <= MAX_ID:
        return None
    query = _session_user_query()
    user = db.session.scalars(query, {"user_id": user_id}).unique().one_or_none()
    if user is None or user.session_version != session_version or not user.is_active:
        return None
    return user


def user_of_calendar(token: str) -> User | None:
    """Whose calendar feed a secret address is (None for an unknown or revoked one)."""
    return db.session.scalar(sa.select(User).where(User.calendar_token == token))


def username_problem(username: str, *, exclude_user_id: int | None = None):
    """What is wrong with a username someone chooses (a message), or None."""
    try:
        check_username_available(username, exclude_user_id=exclude_user_id)
    except DomainError as error:
        return error.message
    return None


def find_login_user(login: str) -> User | None:
    login = login.strip().lower()
    if not login:
        return None
    return db.session.scalar(
        sa.select(User).where(sa.or_(User.username == login, sa.func.lower(User.email) == login))
    )


def authenticate(
    login: str, password: str, *, display: tuple[int | None, bool | None] = (None, None)
) -> User:
    """The user whose username or e-mail and password match, and who may log in.
    ``display`` is the text size and contrast chosen before logging in: an account that has
    never chosen its own takes them (the person who just made the text large keeps it)."""
    user = find_login_user(login)
    ph = hasher()
    if user is None or user.password_hash is None:
        _verify(ph, _dummy_hash(ph), password)
        raise BadCredentials(field="password")
    if not _verify(ph, user.password_hash, password):
        raise BadCredentials(field="password")
    if not user.is_active:
        # Same message: do not tell a stranger which accounts exist.
        raise BadCredentials(field="password")
    if ph.check_needs_rehash(user.password_hash):
        user.password_hash = ph.hash(password)
    user.last_login_at = utcnow()
    size, contrast = display
    if user.text_size == 0 and not user.high_contrast and (size or contrast):
        set_display(user, text_size=size, high_contrast=contrast)
    return user


def _dummy_hash(ph: PasswordHasher) -> str:
    """A hash with the same parameters as real ones, to verify against when no account
    matches: made once (``setdefault(key, ph.hash(...))`` would hash on every call)."""
    key = repr(sorted(current_app.config["ARGON2_PARAMS"].items()))
    dummy = _DUMMY_HASH.get(key)
    if dummy is None:
        dummy = _DUMMY_HASH[key] = ph.hash("not a real password")
    return dummy


def _verify(ph: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return ph.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def end_all_sessions(user: User) -> None:
    """Every cookie issued so far stops working."""
    user.session_version += 1


def password_is_right(user: User, password: str) -> bool:
    """For forms that check every field at once; the services check again."""
    return user.password_hash is not None and _verify(hasher(), user.password_hash, password)


def change_password(user: User, current: str, new: str) -> None:
    ph = hasher()
    if user.password_hash is None or not _verify(ph, user.password_hash, current):
        raise DomainError(_l("Le mot de passe actuel n'est pas le bon."), field="current_password")
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    record("password.changed", actor=user, target=user)


def new_calendar_address(user: User) -> None:
    """The old calendar feed address stops working (it leaked, or the phone was lost)."""
    from app.users.models import new_calendar_token

    user.calendar_token = new_calendar_token()
    record("calendar.token_changed", actor=user, target=user)


def set_display(user: User, *, text_size: int | None = None, high_contrast: bool | None = None):
    if text_size is not None:
        if text_size not in TEXT_SIZES:
            raise DomainError(field="text_size")
        user.text_size = text_size
    if high_contrast is not None:
        user.high_contrast = high_contrast
