"""The sign-in page as the server sends it (api/routes/pages.py): its script, its
Content-Security-Policy, and what it says before set-up has built the script. The page at work
in a browser: tests/web/test_sign_in.py."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.routes import pages
from registry.context import RegistryContext
from tests.api.actors import refused


@pytest.fixture
def client(ctx: RegistryContext) -> Iterator[TestClient]:
    with TestClient(create_app(ctx)) as api:
        yield api


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A stand-in for the bundle set-up builds: its text."""
    static = tmp_path / "static"
    static.mkdir()
    script = "export const built = true;\n"
    (static / pages.SIGN_IN_BUNDLE).write_text(script)
    monkeypatch.setattr(pages, "STATIC_DIR", static)
    return script


def _policy(header: str) -> dict[str, list[str]]:
    directives = (d.split() for d in header.split(";") if d.strip())
    return {name: values for name, *values in directives}


def test_the_page_runs_only_its_own_script_from_this_site(client: TestClient, built: str) -> None:
    page = client.get("/sign-in", params={"next": "/regulator/statistics"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "使用密钥库文件登录" in html
    assert "Sign in with a keystore file" in html
    assert "Sign in with a wallet" in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts == [(' type="module" src="/static/sign-in.js"', "")]
    policy = _policy(page.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["form-action"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy["style-src"] == [f"'sha256-{digest}'"]
    assert "unsafe" not in page.headers["content-security-policy"]
    assert " style=" not in html  # style attributes would need 'unsafe-hashes'
    # no field has a name: the form, were it ever submitted, would carry nothing
    assert re.findall(r"<input[^>]*>", html)
    assert all(" name=" not in field for field in re.findall(r"<input[^>]*>", html))
    assert page.headers["cache-control"] == "no-store"
    script = client.get("/static/sign-in.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.text == built


def test_before_set_up_the_page_says_to_run_it(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "STATIC_DIR", tmp_path / "nothing-built")
    page = client.get("/sign-in")
    assert page.status_code == 503
    assert "scripts/bootstrap" in page.text
    assert "尚未完成安装" in page.text
    assert "<script" not in page.text
    assert "content-security-policy" in page.headers
    refused(client.get("/static/sign-in.js"), 404, "not_found")


def test_the_home_page_and_pages_needing_sign_in_lead_to_it(client: TestClient) -> None:
    assert 'href="/sign-in"' in client.get("/").text
    page = client.get("/regulator/statistics", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=/regulator/statistics"
    # the sign-in page is no API operation
    assert "/sign-in" not in client.get("/openapi.json").json()["paths"]
