def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_home_page_after_login(auth, client, create_user):
    create_user("jeanne", full_name="Jeanne Martin")
    auth.login("jeanne")
    page = client.get("/").get_data(as_text=True)
    assert "Bonjour Jeanne Martin" in page
