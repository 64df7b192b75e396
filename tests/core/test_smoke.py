def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_home_page_after_login(auth, client, create_user):
    create_user("jeanne", full_name="Jeanne Martin")
    auth.login("jeanne")
    page = client.get("/").get_data(as_text=True)
    assert "Bonjour Jeanne Martin" in page


def test_healthz_says_when_the_database_does_not_answer(other_app):
    """The load balancer takes a server out when its database is gone: 503, not 500."""
    broken = other_app(SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-directory/app.sqlite3")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable"


def test_a_request_without_cookie_gets_none_and_a_login_keeps_one(client, auth, create_user):
    assert "Set-Cookie" not in client.get("/healthz").headers
    create_user("jeanne", full_name="Jeanne Martin")
    auth.login("jeanne")
    assert "Bonjour Jeanne Martin" in client.get("/").get_data(as_text=True)


def test_healthz_says_when_the_database_server_is_gone(other_app):
    """On PostgreSQL, taking a pooled connection pings the server (``pool_pre_ping``): that
    is the health check, and a server that does not answer gives 503 too."""
    broken = other_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/gone")
    assert broken.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"]
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_data(as_text=True) == "database unavailable"
