"""Valuations through the real `dareg` executable against the session chain."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from registry.context import RegistryContext
from tests.cli.conftest import run_dareg as _run
from tests.cli.test_rights_commands import _key, _number, _one_line_error
from tests.registry.rights.test_service import buyer, grant_regulator, holder, issue
from tests.registry.valuation.test_service import INCOME, appraiser, today


def test_compute_attest_list_withdraw(
    cli_env: dict[str, str], ctx: RegistryContext, tmp_path: Path
) -> None:
    number = _number(ctx, issue(ctx))
    ctx.client.reset_nonces()
    regulator_key = _key(tmp_path, grant_regulator(ctx), "regulator")
    appraiser_key = _key(tmp_path, appraiser(), "appraiser")
    inputs = tmp_path / "income.json"
    inputs.write_text(json.dumps(INCOME))
    record = tmp_path / "record.json"

    computed = _run(
        cli_env, "valuation-compute", "income", str(inputs), "--record", str(record), "--json"
    )
    assert computed.returncode == 0, computed.stderr
    result = json.loads(computed.stdout)
    assert json.loads(record.read_bytes()) == result["record"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"currency": "CNY", "comparables": []}))
    _one_line_error(_run(cli_env, "valuation-compute", "market", str(bad)), 2, "comparable")

    submission = tmp_path / "submission.json"
    submission.write_text(
        json.dumps(
            {
                "method": "income",
                "base_date": (today(ctx) - timedelta(days=1)).isoformat(),
                "purpose": "financial_reporting",
                "computation": {"method": "income", "inputs": INCOME},
                "report_uri": "https://appraiser.example/r/1",
            }
        )
    )
    refused = _run(
        cli_env, "valuation-submit", number, str(submission), "--key-file", appraiser_key
    )
    _one_line_error(refused, 1, "ValuationNotAppraiser")
    accredited = _run(
        cli_env, "appraiser-accredit", appraiser().address,
        "--accreditation", "中联资产评估 11020001", "--key-file", regulator_key,
    )  # fmt: skip
    assert accredited.returncode == 0, accredited.stderr
    submitted = _run(
        cli_env, "valuation-submit", number, str(submission), "--key-file", appraiser_key, "--json"
    )
    assert submitted.returncode == 0, submitted.stderr
    valuation = json.loads(submitted.stdout)
    assert (valuation["value"], valuation["report_hash"]) == (
        result["value"],
        result["report_hash"],
    )
    future = tmp_path / "future.json"
    future.write_text(json.dumps({**json.loads(submission.read_text()), "base_date": "2999-01-01"}))
    _one_line_error(
        _run(cli_env, "valuation-submit", number, str(future), "--key-file", appraiser_key),
        2,
        "in the future",
    )
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"method": "income"}))
    _one_line_error(
        _run(cli_env, "valuation-submit", number, str(broken), "--key-file", appraiser_key),
        2,
        "is not valid",
    )

    listed = _run(cli_env, "valuations", number, "--json")
    assert listed.returncode == 0, listed.stderr
    history = json.loads(listed.stdout)
    assert (history["latest_id"], len(history["items"])) == (valuation["id"], 1)
    withdrawn = _run(
        cli_env, "valuation-withdraw", str(valuation["id"]), "--reason", "参数有误",
        "--key-file", appraiser_key,
    )  # fmt: skip
    assert withdrawn.returncode == 0, withdrawn.stderr
    text = _run(cli_env, "valuations", number)
    assert "withdrawn" in text.stdout
    assert "accounting class: not recorded" in text.stdout

    holder_key = _key(tmp_path, holder(), "holder")
    chosen = _run(cli_env, "accounting-class", number, "inventory", "--key-file", holder_key)
    assert chosen.returncode == 0, chosen.stderr
    _one_line_error(
        _run(
            cli_env,
            "accounting-class",
            number,
            "inventory",
            "--key-file",
            _key(tmp_path, buyer(), "b"),
        ),
        1,
        "ValuationNotHolder",
    )
    _one_line_error(
        _run(cli_env, "accounting-class", number, "goodwill"), 2, "intangible_asset or inventory"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["appraiser-accredit", "0x" + "11" * 20, "--accreditation", "某评估 1"],
        ["appraiser-remove", "0x" + "11" * 20],
        ["valuation-submit", "20260844000000019", "submission.json"],
        ["valuation-withdraw", "1", "--reason", "x"],
    ],
)
def test_appraiser_and_accreditation_commands_need_the_actors_own_key(
    cli_env: dict[str, str], command: list[str]
) -> None:
    """Before v2 accreditation fell back to the operator key without ``--key-file``; the
    operator holds no role now, so the acting account must sign: one line, exit 2."""
    refused = _run(cli_env, *command)
    assert refused.returncode == 2, refused.stdout
    assert "--key-file is required" in refused.stderr
    assert refused.stderr.count("\n") == 1
