"""The one way a view changes something: ``perform``.

A view parses the request, loads what it needs, then hands ``perform`` the service call. The
runner checks the form, takes the database write lock (SQLite) when asked, runs the service,
commits once, or rolls back and says why:

- success: flash the message, answer ``303`` to where ``success`` points (or the response it
  returns);
- a ``DomainError``: its message goes next to the form field it names, else into a flash; the
  page is rendered again with the error's status (``409`` taken, ``422`` refused, ``403``);
- an invalid form: the page again with ``422``, nothing run.

Views never call ``commit``, ``rollback`` or a lock themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, make_response, redirect
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from wtforms import FieldList

from app.core.db import write_lock
from app.core.errors import Conflict, DomainError
from app.core.i18n import lazy_gettext as _l
from app.extensions import db

CONFLICT = _l(
    "Quelqu'un vient de faire la même chose en même temps. Rechargez la page et réessayez."
)


def attach_error(form, error: DomainError, fields: Mapping[str, str] | None = None) -> bool:
    """Put a service's message next to the field it names. False when there is no such field."""
    if form is None or not error.field:
        return False
    name = (fields or {}).get(error.field, error.field)
    field = form._fields.get(name) if name else None
    if field is None or isinstance(field, FieldList):
        return False
    field.errors = [*field.errors, error.message]
    return True


def _with_status(rendered, status: int):
    response = make_response(rendered)
    response.status_code = status
    return response


def perform(
    service: Callable[[], Any],
    *,
    page: Callable[[DomainError | None], ResponseReturnValue],
    success: Callable[[Any], ResponseReturnValue | str],
    message: Callable[[Any], str | None] | str | None = None,
    form=None,
    fields: Mapping[str, str] | None = None,
    lock: bool = True,
) -> ResponseReturnValue:
    """Run ``service`` as one transaction and answer for it (see the module's docstring).

    ``page(error)`` renders the page again (its status is set here); ``success(result)``
    gives the URL to go to (303, a ``str``) or a response object; ``message`` is flashed on
    success; ``fields``
    maps a service's field names to the form's. ``lock`` takes SQLite's write lock before the
    service reads anything (PostgreSQL services lock rows themselves).
    """
    if form is not None and not form.validate_on_submit():
        return _with_status(page(None), 422)
    if lock:
        write_lock(db.session)
    try:
        result = service()
        db.session.flush()
        text = message(result) if callable(message) else message
        target = success(result)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        return _refused(error, page, form, fields)
    except IntegrityError:
        # A race the service could not see coming: the database said no.
        db.session.rollback()
        return _refused(Conflict(CONFLICT), page, form, fields)
    if text:
        flash(text, "success")
    if isinstance(target, str):
        return redirect(target, 303)
    return target


def _refused(error: DomainError, page, form, fields):
    if not attach_error(form, error, fields):
        flash(error.message, "error")
    return _with_status(page(error), error.status_code)
