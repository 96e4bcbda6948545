"""Valuation commands: the calculators, appraisers' attestations, history, accounting class.

Holders sign with their own key (``--key-file``). Appraisers (submit, withdraw) and the admin
or a regulator (accredit, remove) must: ``--key-file`` is required, the command is that
account's own transaction, and the operator (which holds no role) never acts for them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    Address,
    JsonFlag,
    KeyFile,
    Number,
    PasswordFile,
    RoleKeyFile,
    acting_key,
    emit,
    id_argument,
    open_context,
    read_json,
    signer_or_operator,
    validated,
    write_output,
)
from registry.errors import InputError

if TYPE_CHECKING:
    from registry.context import RegistryContext
    from registry.domain.valuation import Valuation

ValuationId = Annotated[int, id_argument("valuation id")]


def _show(ctx: RegistryContext, v: Valuation, as_json: bool, headline: str) -> None:
    from api.schemas.valuation import ValuationPublic

    [(_, stale, removed)] = ctx.valuations.annotated([v])
    public = ValuationPublic.of(v, stale_reasons=stale, removed=removed)
    lines = [
        headline,
        f"valuation {v.id}  {v.amount_text}  {v.method.value}  {v.value_type.value}  "
        f"base date {v.base_date.isoformat()}  {v.status.value}",
        f"  appraiser {v.appraiser}{'  (accreditation removed)' if removed else ''}  "
        f"purpose {v.purpose.value}  data version {v.asset_version}",
        f"  report {v.report_hash}",
    ]
    lines += [f"  stale: {reason}" for reason in stale]
    emit(public.model_dump(mode="json"), as_json, lines)


def _token(ctx: RegistryContext, number: str) -> int:
    from registry.domain.numbers import parse_certificate_number

    return ctx.rights.token_id_of(parse_certificate_number(number).text)


def valuation_compute(
    method: Annotated[str, typer.Argument(help="cost, income, market or combined")],
    inputs: Annotated[
        Path, typer.Argument(help="the calculator's inputs (JSON; docs/valuation.md)")
    ],
    record: Annotated[
        Path | None, typer.Option("--record", help="write the computation record (the report) here")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Compute a value with a calculator; no chain call."""
    from registry.domain.money import format_minor
    from registry.valuation.calculators import compute_from_json

    payload = read_json(inputs, "inputs file")
    if not isinstance(payload, dict):
        raise InputError(f"inputs file {inputs} must hold a JSON object")
    result = compute_from_json(method, payload)
    body = result.record.to_json()
    if record is not None:
        write_output(record, body)
    data: dict[str, Any] = {
        "method": method,
        "value": result.value_minor,
        "amount": format_minor(result.value_minor, result.currency),
        "currency": result.currency,
        "report_hash": "0x" + result.digest().hex(),
        "record": json.loads(body),
    }
    emit(
        data,
        as_json,
        [
            f"{data['amount']} {result.currency} ({method})",
            f"report hash {data['report_hash']}"
            + (f"  record written to {record}" if record else ""),
        ]
        + [f"  {s.label}: {s.formula} = {s.value}" for s in result.record.steps],
    )


def valuation_submit(
    number: Number,
    submission: Annotated[
        Path,
        typer.Argument(help="ValuationSubmission JSON (docs/valuation.md)", show_default=False),
    ],
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """An accredited appraiser attests a valuation of a certificate."""
    from registry.domain.valuation import ValuationSubmission

    appraiser = acting_key(key_file, "appraiser", password_file)
    raw = read_json(submission, "submission file")
    parsed = validated(ValuationSubmission, raw, f"submission {submission} is not valid")
    ctx = open_context()
    recorded = ctx.valuations.submit(_token(ctx, number), parsed, appraiser)
    _show(ctx, recorded, as_json, "valuation recorded")


def valuation_withdraw(
    valuation_id: ValuationId,
    reason: Annotated[str, typer.Option("--reason", help="why (kept off chain; hash on chain)")],
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """The appraiser withdraws its own valuation (it stays in the history, marked withdrawn)."""
    appraiser = acting_key(key_file, "appraiser", password_file)
    ctx = open_context()
    withdrawn = ctx.valuations.withdraw(valuation_id, reason, appraiser)
    _show(ctx, withdrawn, as_json, "valuation withdrawn")


def valuations(number: Number, as_json: JsonFlag = False) -> None:
    """A certificate's valuation history (oldest first) and its accounting class."""
    ctx = open_context()
    token = _token(ctx, number)
    history = ctx.valuations.valuations_of(token)
    accounting = ctx.valuations.accounting_class_of(token)
    latest = ctx.valuations.latest_of(token)
    if as_json:
        from api.schemas.valuation import ValuationPublic

        items = [
            ValuationPublic.of(v, stale_reasons=stale, removed=removed).model_dump(mode="json")
            for v, stale, removed in ctx.valuations.annotated(history)
        ]
        data = {
            "certificate_number": number,
            "latest_id": latest.id if latest else None,
            "accounting_class": accounting.value if accounting else None,
            "items": items,
        }
        emit(data, True, [])
        return
    emit({}, False, [f"accounting class: {accounting.value if accounting else 'not recorded'}"])
    if not history:
        emit({}, False, ["no valuations recorded"])
    for v in history:
        _show(ctx, v, False, "latest:" if latest is not None and v.id == latest.id else "")


def accounting_class(
    number: Number,
    chosen: Annotated[
        str, typer.Argument(help="intangible_asset or inventory", show_default=False)
    ],
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """The holder records how it accounts for the data (2024 rules)."""
    ctx = open_context()
    recorded = ctx.valuations.set_accounting_class(
        _token(ctx, number), chosen, signer_or_operator(ctx, key_file, password_file)
    )
    emit({}, False, [f"accounting class of {number}: {recorded.value}"])


def appraiser_accredit(
    address: Address,
    accreditation: Annotated[
        str, typer.Option("--accreditation", help="firm name and accreditation number")
    ],
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """Accredit an appraisal firm's account (admin or regulator)."""
    signer = acting_key(key_file, "admin or regulator", password_file)
    done = open_context().valuations.accredit(address, accreditation, signer)
    emit({}, False, [f"appraiser {done.address} accredited"])


def appraiser_remove(
    address: Address,
    reason: Annotated[str | None, typer.Option("--reason", help="why")] = None,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """Remove an appraiser's accreditation (admin or regulator); its past valuations stay,
    marked so."""
    signer = acting_key(key_file, "admin or regulator", password_file)
    done = open_context().valuations.remove(address, reason, signer)
    emit({}, False, [f"appraiser {done.address} removed"])


def register(app: typer.Typer) -> None:
    """Attach the valuation commands to the ``dareg`` app."""
    app.command("valuation-compute")(valuation_compute)
    app.command("valuation-submit")(valuation_submit)
    app.command("valuation-withdraw")(valuation_withdraw)
    app.command()(valuations)
    app.command("accounting-class")(accounting_class)
    app.command("appraiser-accredit")(appraiser_accredit)
    app.command("appraiser-remove")(appraiser_remove)
