"""CSRF on every POST (form field and htmx header), headers, cookies."""

from __future__ import annotations

import re

import pytest

from app.config import TEST_CONFIG
from tests.conftest import csrf_from


def test_a_form_post_without_csrf_token_is_refused(client, create_user):
    create_user("jeanne")
    response = client.post("/login", data={"username": "jeanne", "password": "whatever"})
    assert response.status_code == 400
    assert "La demande n'a pas pu être traitée" in response.get_data(as_text=True).replace(
        "&#39;", "'"
    )


def test_an_htmx_post_without_the_header_is_refused(client, auth, create_user):
    create_user("jeanne")
    auth.login("jeanne")
    response = client.post("/display", data={"text_size": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_an_htmx_post_with_the_token_in_the_header_is_accepted(client, auth, create_user):
    create_user("jeanne")
    auth.login("jeanne")
    page = client.get("/me").get_data(as_text=True)
    header = re.search(r"hx-headers:inherited='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page)
    assert header, "the body must carry the CSRF header for htmx"
    response = client.post(
        "/display",
        data={"text_size": "2", "next": "/me"},
        headers={"HX-Request": "true", "X-CSRFToken": header.group(1)},
    )
    assert response.status_code == 303
    assert 'class="text-2"' in client.get("/me").get_data(as_text=True)


def test_security_headers_on_every_page(client):
    for url in ("/login", "/healthz", "/nowhere"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_with_personal_data_are_not_cached(client, auth, create_user):
    create_user("jeanne")
    auth.login("jeanne")
    assert client.get("/me").headers["Cache-Control"] == "no-store"


def test_pages_vary_on_htmx_request(client):
    assert "HX-Request" in client.get("/login").headers["Vary"]


def test_no_inline_script_or_style_attribute(client, auth, create_user):
    from app.core.permissions import Role

    create_user("coord", role=Role.COORDINATOR)
    auth.login("coord")
    for url in ("/", "/me", "/residents", "/residents/new", "/login"):
        html = client.get(url).get_data(as_text=True)
        assert " style=" not in html, url
        for script in re.findall(r"<script[^>]*>", html):
            assert "src=" in script, (url, script)
        assert " onclick=" not in html and " onload=" not in html


@pytest.mark.parametrize("dev", [False, True])
def test_cookie_flags_and_hsts(other_app, dev):
    app = other_app(DEV=dev)
    client = app.test_client()
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is (not dev)
    assert ("Strict-Transport-Security" in response.headers) is (not dev)


def test_production_config_keeps_csrf_time_unlimited(other_app):
    app = other_app()
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    assert TEST_CONFIG["TESTING"] is True


def test_error_pages_are_translated(client):
    assert "Page introuvable" in client.get("/nowhere").get_data(as_text=True)
    assert "Page not found" in client.get("/nowhere?lang=en").get_data(as_text=True)


@pytest.mark.own_app
def test_an_unexpected_error_shows_a_calm_translated_page(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Un problème est survenu" in response.get_data(as_text=True)


def test_csrf_token_helper_finds_the_token(client):
    assert csrf_from(client.get("/login").get_data(as_text=True))
