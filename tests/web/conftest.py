"""Browser tests: the registry served by a real uvicorn on a loopback port, against the session
chain, and Debian's Chromium driven headless through Playwright.

Chromium comes from ``scripts/browser`` (which prints its path; ``DAREG_TEST_CHROMIUM``,
default ``/usr/bin/chromium``). Without it the browser tests are skipped, except where a browser
is required (``CI`` set, or ``DAREG_REQUIRE_BROWSER=1``, as ``scripts/test`` sets it): there
they fail. The pages' scripts are the bundles ``scripts/bootstrap`` builds from ``web/``; a
missing or stale bundle fails the tests, it is never rebuilt behind the tester's back.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Playwright, sync_playwright

from api.main import create_app
from api.routes import pages
from registry.context import RegistryContext
from registry.settings import PROJECT_ROOT, Settings
from tests.conftest import free_port

CHROMIUM_VARIABLE = "DAREG_TEST_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def browser_required() -> bool:
    """Whether a missing Chromium fails the browser tests instead of skipping them."""
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return ci or os.environ.get("DAREG_REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get(CHROMIUM_VARIABLE) or DEFAULT_CHROMIUM
    if not os.access(path, os.X_OK):
        reason = f"no Chromium at {path} (scripts/browser installs Debian's and prints its path)"
        if browser_required():
            pytest.fail(
                f"a browser is required here (CI or DAREG_REQUIRE_BROWSER=1), but {reason}",
                pytrace=False,
            )
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def sign_in_bundle() -> Path:
    """The built script of the sign-in page, as fresh as its source."""
    bundle = pages.STATIC_DIR / pages.SIGN_IN_BUNDLE
    if not bundle.is_file():
        pytest.fail(f"{bundle} has not been built: run scripts/bootstrap", pytrace=False)
    built = bundle.stat().st_mtime
    stale = [p for p in (PROJECT_ROOT / "web").rglob("*") if p.stat().st_mtime > built]
    if stale:
        pytest.fail(f"{stale[0]} is newer than {bundle}: run scripts/bootstrap", pytrace=False)
    return bundle


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def test_settings(tmp_path: Path, anvil_url: str, database_url: str, port: int) -> Settings:
    """The shared test settings, with the served site as the public URL (the sign-in domain)."""
    return Settings(
        var_dir=tmp_path / "var",
        rpc_url=anvil_url,
        database_url=database_url,
        public_url=f"http://127.0.0.1:{port}",
    )


@pytest.fixture
def site(ctx: RegistryContext, port: int, sign_in_bundle: Path) -> Iterator[str]:
    """The registry's API and pages served by uvicorn (in a thread) on ``port``: its base URL."""
    config = uvicorn.Config(
        create_app(ctx), host="127.0.0.1", port=port, log_level="warning", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start in 15 s"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
