"""The sign-in page in a real browser (web/sign-in.js, bundled; api/routes/pages.py).

A keystore file is decrypted and signs in the browser: every request the page sends is recorded,
and none carries the file, its password or the key. A wallet (an EIP-1193 provider put into the
page) signs in with ``personal_sign``. ``next`` is followed only to a path of this site.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request

from registry.chain.client import dev_account
from registry.context import RegistryContext
from registry.settings import PROJECT_ROOT
from tests.registry.rights.test_service import grant_regulator

PASSWORD = "correct horse 电池 staple"  # a test keystore's password


@dataclass
class Keystore:
    account: LocalAccount
    password: str
    text: str
    secrets: list[str] = field(default_factory=list)
    """What must never leave the page: the file, its password, the key, the ciphertext …"""


def keystore(account: LocalAccount, password: str = PASSWORD) -> Keystore:
    """An eth-account keystore of ``account`` (PBKDF2 with few iterations: quick to decrypt)."""
    document = Account.encrypt(account.key, password, kdf="pbkdf2", iterations=1000)
    text = json.dumps(document)
    crypto = document["crypto"]
    key = account.key.hex().removeprefix("0x")
    secrets = [
        text,
        password,
        key,
        crypto["ciphertext"],
        crypto["mac"],
        crypto["kdfparams"]["salt"],
        crypto["cipherparams"]["iv"],
    ]
    return Keystore(account, password, text, secrets)


@dataclass
class Traffic:
    """Every request a browser context sent, and the page's console errors."""

    requests: list[Request] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """The page's errors and console errors (a CSP violation is one), but the browser's
        note of the anonymous page's ``GET /auth/session`` answered 401 and of the missing
        favicon."""
        return [e for e in self.console if "status of 401" not in e and "/favicon.ico" not in e]

    def sent(self) -> list[str]:
        """Each request as the text that went out: method, URL, headers and body."""
        return [
            f"{r.method} {r.url}\n{json.dumps(r.all_headers())}\n{r.post_data or ''}"
            for r in self.requests
        ]

    def posts(self) -> list[str]:
        return [r.url for r in self.requests if r.method != "GET"]

    def assert_nothing_of(self, secrets: list[str]) -> None:
        assert self.requests
        for text in self.sent():
            lowered = text.lower()
            for secret in secrets:
                assert secret.lower() not in lowered, f"a secret went out in {text[:200]}"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def traffic(context: BrowserContext) -> Traffic:
    recorded = Traffic()
    context.on("request", lambda request: recorded.requests.append(request))

    def on_page(page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                recorded.console.append(f"{message.text} ({message.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda e: recorded.console.append(f"page error: {e}"))

    context.on("page", on_page)
    return recorded


def open_sign_in(context: BrowserContext, site: str, query: str = "") -> Page:
    page = context.new_page()
    answer = page.goto(f"{site}/sign-in{query}")
    assert answer is not None
    assert answer.status == 200
    page.wait_for_selector("body[data-ready=true]")
    return page


def submit_keystore(page: Page, store: Keystore, password: str | None = None) -> None:
    page.set_input_files(
        "#keystore-file",
        files=[
            {"name": "keystore.json", "mimeType": "application/json", "buffer": store.text.encode()}
        ],
    )
    page.fill("#keystore-password", store.password if password is None else password)
    page.click("#keystore-sign-in")


def session_in_page(page: Page) -> Any:
    return page.evaluate(
        """async () => {
            const answer = await fetch('/api/v1/auth/session');
            return {status: answer.status, body: await answer.json()};
        }"""
    )


def session_cookie(context: BrowserContext) -> Any:
    found = [c for c in context.cookies() if c["name"] == "dareg_session"]
    return found[0] if found else None


def test_a_keystore_signs_in_in_the_browser_and_goes_back_to_next(
    site: str, ctx: RegistryContext, context: BrowserContext, traffic: Traffic
) -> None:
    account = grant_regulator(ctx)
    store = keystore(account)
    page = open_sign_in(context, site, "?next=/regulator/statistics")
    assert page.is_hidden("#wallet")  # no wallet in this browser: only the keystore form
    assert page.inner_text("#next") == "/regulator/statistics"
    submit_keystore(page, store)
    page.wait_for_url(f"{site}/regulator/statistics")
    assert "数据资产统计" in page.inner_text("h1")  # the regulator's page, signed in
    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # out of the scripts' reach
    session = session_in_page(page)
    assert session["status"] == 200
    assert session["body"]["address"] == account.address
    assert session["body"]["roles"] == ["regulator"]
    # what the sign-in sent: the address, then the message and its signature; nothing else
    challenge, sign_in = (r for r in traffic.requests if r.method == "POST")
    assert traffic.posts() == [f"{site}/api/v1/auth/challenge", f"{site}/api/v1/auth/sign-in"]
    assert json.loads(challenge.post_data or "") == {"address": account.address}
    body = json.loads(sign_in.post_data or "")
    assert sorted(body) == ["message", "signature"]
    assert f"\n{account.address}\n" in body["message"]
    assert f"URI: {site}\n" in body["message"]
    traffic.assert_nothing_of(store.secrets)
    assert traffic.errors == []


def test_a_wrong_password_shows_an_error_and_sends_nothing(
    site: str, context: BrowserContext, traffic: Traffic
) -> None:
    store = keystore(dev_account(3))
    page = open_sign_in(context, site, "?next=/regulator/statistics")
    submit_keystore(page, store, password="not the password")
    page.wait_for_selector("#message.bad")
    assert "wrong password" in page.inner_text("#message")
    assert page.url == f"{site}/sign-in?next=/regulator/statistics"
    assert traffic.posts() == []  # not even the challenge: the file never decrypted
    assert session_cookie(context) is None
    traffic.assert_nothing_of([*store.secrets, "not the password"])
    # the right password then signs in (the form is usable again)
    submit_keystore(page, store)
    page.wait_for_url(f"{site}/regulator/statistics")
    traffic.assert_nothing_of(store.secrets)


@pytest.mark.parametrize(
    "next_",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_elsewhere_is_not_followed(
    site: str, context: BrowserContext, traffic: Traffic, next_: str
) -> None:
    account = dev_account(4)
    page = open_sign_in(context, site, "?" + urlencode({"next": next_}))
    assert page.is_hidden("#next-note")
    submit_keystore(page, keystore(account))
    page.wait_for_selector("#signed-in:not([hidden])")
    assert page.url.startswith(f"{site}/sign-in?")
    assert page.inner_text("#who") == account.address
    assert all(r.url.startswith(f"{site}/") for r in traffic.requests)
    assert traffic.errors == []


def test_signed_in_the_page_says_who_and_signs_out(
    site: str, context: BrowserContext, traffic: Traffic
) -> None:
    account = dev_account(7)  # staff of registrar 440
    page = open_sign_in(context, site)
    submit_keystore(page, keystore(account))
    page.wait_for_selector("#signed-in:not([hidden])")
    assert page.inner_text("#who") == account.address
    assert "registrar-staff" in page.inner_text("#roles")
    assert "440" in page.inner_text("#roles")
    # a later visit knows the session
    again = open_sign_in(context, site)
    assert again.is_visible("#signed-in")
    assert again.is_hidden("#sign-in-forms")
    again.click("#sign-out")
    again.wait_for_selector("#sign-in-forms:not([hidden])")
    assert session_cookie(context) is None
    assert session_in_page(again)["status"] == 401
    assert traffic.errors == []


def test_a_wallet_signs_in_with_personal_sign(
    site: str, ctx: RegistryContext, context: BrowserContext, traffic: Traffic
) -> None:
    account = grant_regulator(ctx)
    calls: list[str] = []

    def wallet(method: str, params: list[Any]) -> Any:
        calls.append(method)
        if method == "eth_requestAccounts":
            return [account.address.lower()]
        assert method == "personal_sign"
        data, address = params
        assert address == account.address
        message = bytes.fromhex(data.removeprefix("0x"))
        return "0x" + account.sign_message(encode_defunct(primitive=message)).signature.hex()

    context.expose_function("daregTestWallet", wallet)
    context.add_init_script(
        "window.ethereum = {request: ({method, params}) => "
        "window.daregTestWallet(method, params || [])};"
    )
    page = open_sign_in(context, site, "?next=/regulator/statistics")
    assert page.is_visible("#wallet")
    page.click("#wallet-sign-in")
    page.wait_for_url(f"{site}/regulator/statistics")
    assert calls == ["eth_requestAccounts", "personal_sign"]
    assert session_in_page(page)["body"]["address"] == account.address
    assert traffic.errors == []


def test_safe_next_keeps_only_paths_of_this_site() -> None:
    """``safeNext`` of web/sign-in.js, run by Node on the source itself."""
    cases = {
        "/regulator/statistics": "/regulator/statistics",
        "/regulator/statistics?as_of_block=3#x": "/regulator/statistics?as_of_block=3#x",
        "/a/../b": "/b",
        "/sign-in": None,
        "": None,
        "regulator/statistics": None,
        "https://evil.example/": None,
        "http://127.0.0.1:8000/x": None,
        "//evil.example": None,
        "///evil.example": None,
        "/\\evil.example": None,
        "\\/evil.example": None,
        "/\t/evil.example": None,
        " /x": None,
        "javascript:alert(1)": None,
        "/%2F%2Fevil.example": "/%2F%2Fevil.example",
    }
    script = (
        "import { safeNext } from './web/sign-in.js';\n"
        "const cases = JSON.parse(process.argv[1]);\n"
        "console.log(JSON.stringify(Object.keys(cases).map((raw) =>"
        " [raw, safeNext(raw, 'http://127.0.0.1:8000')])));\n"
    )
    answer = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(cases)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert dict(json.loads(answer.stdout)) == cases
