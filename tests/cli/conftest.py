"""Run the real `dareg` executable in subprocesses, as a user would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from registry.context import RegistryContext
from registry.settings import Settings
from tests.conftest import free_port

DAREG = str(Path(sys.executable).parent / "dareg")


def run_dareg(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``dareg ARGS`` in ``env``; its exit code, stdout and stderr (never raises on failure)."""
    return subprocess.run(
        [DAREG, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def cli_env(ctx: RegistryContext, test_settings: Settings) -> dict[str, str]:
    """The environment of a `dareg` subprocess that uses the test's registry context (the
    session chain, the test's var/ and database), without any other DAREG_ variable."""
    del ctx  # deploys, migrates and configures registrar 440 first
    return {k: v for k, v in os.environ.items() if not k.startswith("DAREG_")} | {
        "DAREG_RPC_URL": str(test_settings.rpc_url),
        "DAREG_VAR_DIR": str(test_settings.var_dir),
        "DAREG_DATABASE_URL": str(test_settings.database_url),
        "COLUMNS": "200",
    }


@dataclass
class StackEnv:
    """Environment of one isolated registry: its own var/, node port and API port."""

    var_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.env['DAREG_API_PORT']}"

    def run(
        self, *args: str, timeout: float = 60, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [DAREG, *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        return self._request(urllib.request.Request(self.api + path, headers=headers or {}))

    def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.api + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            method="POST",
        )
        return self._request(request)

    @staticmethod
    def _request(request: urllib.request.Request) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def sign_in(self, account: LocalAccount) -> dict[str, str]:
        """Sign in as ``account`` (Sign-In with Ethereum over HTTP, signed with its key): the
        headers that carry its session."""
        status, challenge = self.post("/api/v1/auth/challenge", {"address": account.address})
        assert status == 200, challenge
        message = challenge["message"]
        signature = account.sign_message(encode_defunct(text=message)).signature.hex()
        body = {"message": message, "signature": "0x" + signature}
        status, session = self.post("/api/v1/auth/sign-in", body)
        assert status == 200, session
        return {"Authorization": f"Bearer {session['token']}"}

    def start(self, *args: str) -> subprocess.Popen[str]:
        log = (self.var_dir.parent / "up.log").open("a")
        return subprocess.Popen(
            [DAREG, "up", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def wait_healthy(self, process: subprocess.Popen[str], timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(
                    f"dareg up exited early with {process.returncode}: {self.log()}"
                )
            try:
                status, body = self.get("/api/v1/health")
                if status == 200:
                    return dict(body)
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.25)
        raise AssertionError(f"dareg up did not become healthy: {self.log()}")

    def stop(self, process: subprocess.Popen[str]) -> int:
        """Ctrl-C, as a user would press it."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        return process.wait(timeout=60)

    def log(self) -> str:
        path = self.var_dir.parent / "up.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def stack_env(tmp_path: Path) -> Iterator[StackEnv]:
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAREG_")} | {
        "DAREG_VAR_DIR": str(var),
        "DAREG_API_PORT": str(free_port()),
        "DAREG_NODE_PORT": str(free_port()),
        "DAREG_STATE_INTERVAL": "1",
        "DAREG_POLL_INTERVAL": "0.2",
        "COLUMNS": "200",
    }
    return StackEnv(var_dir=var, env=env)
