"""Rights commands: transfers, pledges, licences, liens, and the regulator's freezes and court
orders.

The contracts make the acting party send its own transaction, so each command signs with the
key of the party that acts (``--key-file``): the holder transfers and licenses, the pledgee
releases, enforces and consents, the licensee sublicenses. A pledge is signed by both the holder
and the lender (EIP-712) and relayed by the service's operator in one transaction. Regulator
commands (freeze, unfreeze, court order) require ``--key-file``: the regulator's own
transaction; the operator holds no role and never acts for a regulator.
"""

from __future__ import annotations

from datetime import datetime, time, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    Address,
    JsonFlag,
    KeyFile,
    Number,
    PasswordFile,
    Reason,
    RoleKeyFile,
    acting_key,
    emit,
    id_argument,
    load_signing_key,
    open_context,
    open_signed,
    parse_date,
    password_file_option,
    read_model,
    signer_or_operator,
    validated,
)
from registry.errors import InputError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from pydantic import BaseModel

    from registry.context import RegistryContext
    from registry.domain.rights import Licence, LicenceTerms, Pledge
    from registry.rights.service import RightsService

PledgeId = Annotated[int, id_argument("pledge id")]
LicenceId = Annotated[int, id_argument("licence id")]
TermsFile = Annotated[
    Path,
    typer.Argument(help="licence terms JSON (LicenceTerms; docs/licences.md)", show_default=False),
]
Case = Annotated[
    str, typer.Option("--case", help="case reference, kept off chain; its hash on chain")
]
Recipient = Annotated[str, typer.Option("--to", help="the pledgee itself or a buyer it names")]


def _date(text: str, option: str) -> datetime:
    """Midnight (China Standard Time, UTC+8) of a YYYY-MM-DD date."""
    from registry.domain.numbers import CST

    return datetime.combine(parse_date(text, option), time(0), tzinfo=timezone(CST))


def _minor_units(amount: str, currency: str) -> int:
    """``5000000.00`` in ``CNY`` -> 500000000 (fen); more decimals than the currency has is an
    error, not a rounding."""
    from registry.domain.money import minor_unit_exponent, normalise_currency

    digits = minor_unit_exponent(normalise_currency(currency))
    try:
        value = Decimal(amount.replace(",", "").strip())
    except InvalidOperation:
        raise InputError(f"--amount {amount!r} is not a number such as 5000000.00") from None
    minor = value.scaleb(digits)
    if not value.is_finite() or value <= 0 or minor != minor.to_integral_value():
        raise InputError(
            f"--amount {amount!r} must be a positive amount of {currency.upper()} with at most "
            f"{digits} decimal places"
        )
    return int(minor)


def _public(model: BaseModel) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json")
    return data


def _show_pledge(ctx: RegistryContext, p: Pledge, as_json: bool, headline: str) -> None:
    from api.schemas.rights import PledgeRecordPublic

    public = PledgeRecordPublic.of(p, ctx.rights.certificate_number(p.token_id))
    emit(
        _public(public),
        as_json,
        [
            headline,
            f"pledge {p.id}  certificate {public.certificate_number}  status {p.status.value}",
            f"  pledgor {p.pledgor}  pledgee {p.pledgee}",
            f"  secured {p.amount_text}  matures {p.maturity:%Y-%m-%d}  loan ref {p.loan_ref}",
        ],
    )


def _show_licence(ctx: RegistryContext, lic: Licence, as_json: bool, headline: str) -> None:
    from api.schemas.rights import LicenceRecordPublic

    public = LicenceRecordPublic.of(lic, ctx.rights.certificate_number(lic.token_id))
    parent = f"  sublicence of {lic.parent_id}" if lic.parent_id else ""
    emit(
        _public(public),
        as_json,
        [
            headline,
            f"licence {lic.id}  voucher {lic.voucher_number}  certificate "
            f"{public.certificate_number}{parent}",
            f"  {lic.right.value}  {'exclusive' if lic.exclusive else 'non-exclusive'}"
            f"{'  sublicensable' if lic.sublicensable else ''}  "
            f"{'live' if lic.live else 'not live'} ({lic.status.value})",
            f"  licensor {lic.licensor}  licensee {lic.licensee}",
            f"  {lic.start:%Y-%m-%d} to {lic.end:%Y-%m-%d}  terms {lic.terms_hash}",
        ],
    )


def _licence_terms(path: Path) -> LicenceTerms:
    from registry.domain.rights import LicenceTerms

    return read_model(path, "terms file", LicenceTerms)


# --- transfers -----------------------------------------------------------------------------


def transfer(
    number: Number,
    to: Address,
    reason: Annotated[str, typer.Option("--reason", help="sale, inheritance or merger")],
    document: Annotated[
        str | None,
        typer.Option("--document", help="the transfer contract (text), kept off chain; hash on"),
    ] = None,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """The holder transfers its certificate (转让) for a sale, inheritance or merger."""
    from api.schemas.rights import TransferRecordPublic
    from registry.domain.rights import HOLDER_REASONS

    allowed = {r.value: r for r in HOLDER_REASONS}
    if reason.strip().lower() not in allowed:
        raise InputError(
            f"--reason {reason!r} is not one of {', '.join(sorted(allowed))}; court orders and "
            "pledge enforcements have their own commands"
        )
    ctx = open_context()
    token_id = ctx.rights.token_id_of(number)
    moved = ctx.rights.transfer(
        token_id,
        to,
        allowed[reason.strip().lower()],
        document,
        signer_or_operator(ctx, key_file, password_file),
    )
    emit(
        _public(TransferRecordPublic.of(moved)),
        as_json,
        [
            f"certificate {number} transferred ({moved.reason.value})",
            f"  from {moved.from_} to {moved.to}  (block {moved.block_number}, tx {moved.tx_hash})",
        ],
    )


def court_order(
    number: Number,
    to: Address,
    case: Case,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """A regulator executes a court-ordered transfer (司法划转); the only move a freeze allows."""
    from api.schemas.rights import TransferRecordPublic

    rights, token_id, regulator = _as_regulator(number, key_file, password_file)
    moved = rights.court_order_transfer(token_id, to, case, regulator)
    emit(
        _public(TransferRecordPublic.of(moved)),
        as_json,
        [f"certificate {number} transferred by court order from {moved.from_} to {moved.to}"],
    )


# --- freezes -------------------------------------------------------------------------------


def _show_freeze(number: str, frozen: Any, as_json: bool) -> None:
    from api.schemas.rights import FreezeStatePublic

    public = FreezeStatePublic.of(frozen, number)
    state = (
        f"frozen since {public.since:%Y-%m-%d %H:%M} UTC by {public.by}"
        if public.frozen
        else "not frozen"
    )
    emit(_public(public), as_json, [f"certificate {number}: {state}"])


def _as_regulator(
    number: str, key_file: Path | None, password_file: Path | None
) -> tuple[RightsService, int, LocalAccount]:
    """The rights service, the certificate's token id and the regulator's key (required)."""
    regulator = acting_key(key_file, "regulator", password_file)
    rights = open_context().rights
    return rights, rights.token_id_of(number), regulator


def freeze(
    number: Number,
    case: Case,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """A regulator freezes a certificate (冻结) for a case."""
    rights, token_id, regulator = _as_regulator(number, key_file, password_file)
    _show_freeze(number, rights.freeze(token_id, case, regulator), as_json)


def unfreeze(
    number: Number,
    case: Case,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """The regulator that froze a certificate lifts its freeze (解冻)."""
    rights, token_id, regulator = _as_regulator(number, key_file, password_file)
    _show_freeze(number, rights.unfreeze(token_id, case, regulator), as_json)


# --- pledges -------------------------------------------------------------------------------


def pledge(
    number: Number,
    pledgee: Annotated[str, typer.Option("--pledgee", help="the lender's address")],
    amount: Annotated[str, typer.Option("--amount", help="secured amount, e.g. 5000000.00")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code, e.g. CNY")],
    loan_ref: Annotated[
        str, typer.Option("--loan-ref", help="loan contract number, kept off chain")
    ],
    maturity: Annotated[str, typer.Option("--maturity", help="YYYY-MM-DD (UTC+8 midnight)")],
    holder_key: Annotated[
        Path, typer.Option("--holder-key", help="key file of the holder (pledgor): hex or keystore")
    ],
    pledgee_key: Annotated[
        Path, typer.Option("--pledgee-key", help="key file of the lender: hex or keystore")
    ],
    holder_password_file: Annotated[
        Path | None, password_file_option("--holder-password-file", "--holder-key")
    ] = None,
    pledgee_password_file: Annotated[
        Path | None, password_file_option("--pledgee-password-file", "--pledgee-key")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register a pledge (质押登记): holder and lender both sign (EIP-712), the service relays."""
    from registry.domain.rights import PledgeTerms

    raw_terms = {
        "certificate_number": number,
        "pledgee": pledgee,
        "secured_amount": _minor_units(amount, currency),
        "currency": currency,
        "loan_reference": loan_ref,
        "maturity": _date(maturity, "--maturity"),
    }
    terms = validated(PledgeTerms, raw_terms, "pledge terms are not valid")
    holder = load_signing_key(holder_key, holder_password_file, option="--holder-password-file")
    lender = load_signing_key(pledgee_key, pledgee_password_file, option="--pledgee-password-file")
    ctx = open_context()
    registered = ctx.rights.sign_and_register(terms, holder, lender, ctx.operator)
    _show_pledge(ctx, registered, as_json, "pledge registered")


def pledge_release(
    pledge_id: PledgeId,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """The pledgee releases its pledge (解押)."""
    ctx, signer = open_signed(key_file, password_file)
    _show_pledge(ctx, ctx.rights.release(pledge_id, signer), as_json, "released")


def pledge_enforce(
    pledge_id: PledgeId,
    to: Recipient,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """After maturity the pledgee enforces (质权实现): the certificate goes to --to."""
    ctx, signer = open_signed(key_file, password_file)
    enforced = ctx.rights.enforce(pledge_id, to, signer)
    _show_pledge(ctx, enforced, as_json, f"enforced: the certificate went to {to}")


def _consent_action(action: str) -> str:
    from registry.domain.rights import ConsentAction

    key = action.strip().lower().replace("-", "_")
    if key not in {a.value for a in ConsentAction}:
        raise InputError(f"{action!r} is not transfer, cancel, exclusive-licence or change")
    return key


ConsentActionArg = Annotated[
    str,
    typer.Argument(help="transfer, cancel, exclusive-licence or change", show_default=False),
]


def pledge_consent(
    pledge_id: PledgeId,
    action: ConsentActionArg,
    counterparty: Address,
    deadline: Annotated[
        str | None,
        typer.Option(
            "--deadline",
            help="YYYY-MM-DD: the consent lapses at its start (UTC+8); default: 30 days on",
            show_default=False,
        ),
    ] = None,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """The pledgee consents once to a transfer to, a cancellation by, an exclusive licence to,
    or a new dataset version (change) by the counterparty while its pledge is live. The consent
    is given to the current pledgor until the deadline: useless after it, or once the
    certificate has another holder."""
    from datetime import UTC, timedelta

    key = _consent_action(action)
    until = None if deadline is None else _date(deadline, "--deadline")
    ctx = open_context()
    if until is None:  # 30 days from the chain's time (which a development chain may move)
        now = datetime.fromtimestamp(ctx.client.block().timestamp, tz=UTC)
        until = now + timedelta(days=30)
    consent = ctx.rights.grant_consent(
        pledge_id, key, counterparty, until, signer_or_operator(ctx, key_file, password_file)
    )
    expires = None if consent.deadline is None else consent.deadline.isoformat()
    emit(
        {
            "pledge_id": pledge_id,
            "action": key,
            "counterparty": counterparty,
            "pledgor": consent.pledgor,
            "deadline": expires,
        },
        False,
        [
            f"pledge {pledge_id}: consent to {key.replace('_', ' ')} for {counterparty} "
            f"by {consent.pledgor}, until {expires}"
        ],
    )


def pledge_withdraw_consent(
    pledge_id: PledgeId,
    action: ConsentActionArg,
    counterparty: Address,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """The pledgee withdraws its unused consent to the action with the counterparty."""
    key = _consent_action(action)
    ctx, signer = open_signed(key_file, password_file)
    ctx.rights.withdraw_consent(pledge_id, key, counterparty, signer)
    emit(
        {"pledge_id": pledge_id, "action": key, "counterparty": counterparty, "withdrawn": True},
        False,
        [f"pledge {pledge_id}: consent to {key.replace('_', ' ')} for {counterparty} withdrawn"],
    )


def liens(
    holder: Annotated[str | None, typer.Option("--holder", help="the holder (pledgor)")] = None,
    certificate: Annotated[
        str | None, typer.Option("--certificate", help="17-digit certificate number")
    ] = None,
    live: Annotated[bool, typer.Option("--live", help="only live pledges")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Lien search (查询质押) by holder and/or certificate, from the mirror kept by `dareg up`."""
    from api.schemas.rights import PledgeList, PledgeRecordPublic
    from registry.domain.inputs import checked_address
    from registry.mirror import indexer_head, pledges_of_holder, pledges_of_token

    if holder is None and certificate is None:
        raise InputError("search liens by --holder, by --certificate, or both")
    who = checked_address(holder, "--holder") if holder is not None else None
    ctx = open_context()
    if certificate is not None:
        rows = pledges_of_token(ctx.engine, ctx.rights.token_id_of(certificate), live_only=live)
        rows = [r for r in rows if who is None or r.pledgor == who]
    else:
        assert who is not None
        rows = pledges_of_holder(ctx.engine, who, live_only=live)
    head = indexer_head(ctx.engine, ctx.manifest.chain_id)
    found = PledgeList(items=[PledgeRecordPublic.of_row(r) for r in rows], indexer_head=head)
    lines = [
        f"{len(rows)} pledge(s) as of block {head}"
        if head is not None
        else "the mirror is empty: nothing indexed yet (start the registry with `dareg up`)"
    ]
    lines += [
        f"  pledge {p.id}  certificate {p.certificate_number}  {p.status}  "
        f"{p.amount} {p.currency}  pledgee {p.pledgee}  matures {p.maturity:%Y-%m-%d}"
        for p in found.items
    ]
    emit(_public(found), as_json, lines)


# --- licences ------------------------------------------------------------------------------


def licence_grant(
    number: Number,
    terms_file: TermsFile,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """The holder grants a licence (数据许可) of a right of its certificate."""
    terms = _licence_terms(terms_file)
    ctx = open_context()
    token_id = ctx.rights.token_id_of(number)
    granted = ctx.rights.grant_licence(
        token_id, terms, signer_or_operator(ctx, key_file, password_file)
    )
    _show_licence(ctx, granted, as_json, "licence granted")


def sublicence(
    parent_id: LicenceId,
    terms_file: TermsFile,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """The licensee of a sublicensable licence grants a sublicence within its scope."""
    terms = _licence_terms(terms_file)
    ctx, signer = open_signed(key_file, password_file)
    granted = ctx.rights.grant_sublicence(parent_id, terms, signer)
    _show_licence(ctx, granted, as_json, "sublicence granted")


def licence_terminate(
    licence_id: LicenceId,
    reason: Reason,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """The licensor or the licensee terminates a licence."""
    ctx, signer = open_signed(key_file, password_file)
    ended = ctx.rights.terminate(licence_id, reason, signer)
    _show_licence(ctx, ended, as_json, "licence terminated")


def register(app: typer.Typer) -> None:
    """Attach the rights commands to the ``dareg`` app."""
    app.command()(transfer)
    app.command()(pledge)
    app.command("pledge-release")(pledge_release)
    app.command("pledge-enforce")(pledge_enforce)
    app.command("pledge-consent")(pledge_consent)
    app.command("pledge-withdraw-consent")(pledge_withdraw_consent)
    app.command()(liens)
    app.command("licence-grant")(licence_grant)
    app.command()(sublicence)
    app.command("licence-terminate")(licence_terminate)
    app.command()(freeze)
    app.command()(unfreeze)
    app.command("court-order")(court_order)
