"""Logging in through the pages and reading their CSRF token (builders shared by the page tests)."""

from __future__ import annotations

import re

import httpx

from tests.api.actors import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def login(client: httpx.AsyncClient, username: str, next_url: str = "") -> str:
    """Log in through the login form; returns the session's CSRF token (from the page the user lands on)."""
    form = await client.get("/login")
    assert form.status_code == 200
    response = await client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(form.text), "next": next_url},
    )
    assert response.status_code == 303, response.text[:500]
    landing = await client.get(response.headers["location"])
    assert landing.status_code == 200, landing.text[:500]
    return csrf_of(landing.text)
