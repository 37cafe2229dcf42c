"""After a genuine login or a language switch, the browser only goes to a page of this site."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, csrf_token, next_totp

#: Decoded, as the form carries them: browsers drop a tab or newline inside a URL and read a
#: backslash as a slash, so these lead to evil.example (or split the header). The still-encoded
#: forms are harmless in a Location but refused too: no link of ours looks like that.
FOREIGN = ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example", "https://evil.example/",
           "http:/evil.example", "/\r\nSet-Cookie: x=1", " //evil.example", "javascript:alert(1)",
           "/x\x7f/evil.example", "/%5Cevil.example", "/%09/evil.example"]


def _login_with_next(client, world, target):
    client.post("/login", data={"username": "cw.a", "password": PASSWORD, "next": target,
                                "csrf_token": csrf_token(client)})
    return client.post("/login/verify", data={"code": next_totp(world.cw_a),
                                              "csrf_token": csrf_token(client, "/login/verify")})


def _lands_here(response) -> bool:
    location = response.headers["Location"]
    return location.startswith("/") and not location.startswith("//") and "evil" not in location


@pytest.mark.parametrize("target", FOREIGN)
def test_login_never_sends_her_to_another_site(client, world, target):
    response = _login_with_next(client, world, target)
    assert response.status_code == 302 and _lands_here(response), response.headers["Location"]
    assert client.get("/").status_code == 200  # the login itself succeeded


def test_login_from_a_link_with_an_encoded_tab_goes_home(client, world):
    page = client.get("/login?next=/%09/evil.example").get_data(as_text=True)
    assert "evil.example" in page  # carried in the form, as typed...
    response = _login_with_next(client, world, "/\t/evil.example")
    assert response.headers["Location"] == "/"  # ...but never followed


def test_login_returns_to_the_page_she_asked_for(client, world):
    response = _login_with_next(client, world, "/referrals/inbox?tab=closed")
    assert response.headers["Location"] == "/referrals/inbox?tab=closed"


@pytest.mark.parametrize("target", FOREIGN)
def test_the_language_switch_never_sends_anyone_to_another_site(client, target):
    response = client.post("/language", data={"lang": "fr", "next": target, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and _lands_here(response), response.headers["Location"]


def test_the_language_switch_returns_to_the_page(client):
    response = client.post("/language", data={"lang": "fr", "next": "/login?x=1", "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/login?x=1"
