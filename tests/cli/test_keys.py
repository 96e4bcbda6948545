"""``dareg key new``: an account for a registrant without a wallet, in an encrypted keystore."""

from __future__ import annotations

import json
import os
import pty
import select
import stat
import subprocess
import time
from pathlib import Path

from pydantic import SecretStr

from registry.keys import decrypt_keystore
from tests.cli.conftest import DAREG
from tests.registry.test_keys import PASSWORD, secret_file


def _dareg(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DAREG_")}
    return subprocess.run(
        [DAREG, *args],
        env=clean | (env or {}),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_key_new_writes_a_private_keystore_and_prints_only_its_address(tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    password_file = secret_file(tmp_path / "pw", PASSWORD + "\n")
    made = _dareg("key", "new", "--out", str(out), "--password-file", str(password_file))
    assert made.returncode == 0, made.stderr
    address = made.stdout.strip()
    assert address.startswith("0x")
    assert len(address) == 42
    assert made.stdout.count("\n") == 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    keystore = json.loads(out.read_text())
    assert keystore["crypto"]["kdf"] == "scrypt"
    assert keystore["crypto"]["kdfparams"]["n"] == 2**18  # the strong default
    assert decrypt_keystore(out, SecretStr(PASSWORD)).address == address
    assert PASSWORD not in made.stdout + made.stderr + out.read_text()

    before = out.read_text()
    again = _dareg("key", "new", "--out", str(out), "--password-file", str(password_file))
    assert again.returncode == 2
    assert "never overwrites" in again.stderr
    assert out.read_text() == before


def test_key_new_json_and_the_password_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    made = _dareg(
        "key", "new", "--out", str(out), "--json", env={"DAREG_KEYSTORE_PASSWORD": PASSWORD}
    )
    assert made.returncode == 0, made.stderr
    shown = json.loads(made.stdout)
    assert shown == {"address": shown["address"], "keystore": str(out)}
    assert decrypt_keystore(out, SecretStr(PASSWORD)).address == shown["address"]


def test_key_new_wants_a_password_of_some_length(tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    short = _dareg(
        "key", "new", "--out", str(out), "--password-file", str(secret_file(tmp_path / "pw", "abc"))
    )
    assert short.returncode == 2
    assert "at least 8 characters" in short.stderr
    none = _dareg("key", "new", "--out", str(out))
    assert none.returncode == 2
    assert "--password-file or DAREG_KEYSTORE_PASSWORD" in none.stderr
    assert not out.exists()


def _on_a_terminal(args: list[str], answer: bytes) -> tuple[int, str]:
    """``dareg ARGS`` on a pseudo-terminal, typing ``answer`` at each prompt; exit code, output."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: its standard input, output and controlling terminal are the pty
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DAREG_")}
        os.execve(DAREG, [DAREG, *args], clean)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([terminal], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if chunk.rstrip().endswith(b":"):  # a prompt: wait until it stops echoing, then type
            time.sleep(0.3)
            os.write(terminal, answer + b"\n")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode()


def test_key_new_asks_for_the_password_twice_on_a_terminal_without_echo(tmp_path: Path) -> None:
    out = tmp_path / "me.json"
    code, output = _on_a_terminal(["key", "new", "--out", str(out)], PASSWORD.encode())
    assert code == 0, output
    assert "Repeat for confirmation" in output
    assert PASSWORD not in output
    address = output.strip().splitlines()[-1].strip()
    assert decrypt_keystore(out, SecretStr(PASSWORD)).address == address
