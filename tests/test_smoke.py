from tests.factories import sign_in


def test_login_and_home(client, make_user):
    user = make_user(("sales",))
    response = sign_in(client, user.username)
    assert response.status_code == 302
    page = client.get("/home")
    assert page.status_code == 200
    assert b"My open complaints" in page.data
