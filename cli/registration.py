"""Registration commands: apply, review, issue, certificate, and the holder's and registrar's
actions after issuance."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import (
    JsonFlag,
    KeyFile,
    Number,
    PasswordFile,
    Reason,
    RoleKeyFile,
    acting_key,
    emit,
    id_argument,
    open_context,
    open_signed,
    parse_date,
    read_model,
    relayed_or_operator,
)
from registry.domain.numbers import UINT256_MAX
from registry.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from eth_account.signers.local import LocalAccount

    from registry.domain.registration import AssetMetadata, Registration
    from registry.registration.service import RegistrationService

    #: A service method by which a registrar decides: (id, reason code, reason, signer).
    Decision = Callable[[int, int, str, LocalAccount], Registration]

MetadataFile = Annotated[
    Path,
    typer.Argument(
        help="the certificate metadata JSON (see docs/registration.md)", show_default=False
    ),
]
RegId = Annotated[
    int,
    typer.Argument(
        help="registration id (also the certificate's token id)", min=1, max=UINT256_MAX
    ),
]
ReasonCode = Annotated[int, typer.Option("--code", min=0, max=65_535, help="reason code")]
AgreementEnd = Annotated[
    str | None,
    typer.Option("--source-agreement-end", help="new end of the source agreement, YYYY-MM-DD"),
]
RegistrarCode = Annotated[int, typer.Argument(min=1, max=999)]

review_app = typer.Typer(help="The registrar's review: accept, return, reject, notice, rulings.")
registrar_app = typer.Typer(help="Registration agencies: configure, bind accounts, show.")


def _metadata(path: Path) -> AssetMetadata:
    from registry.domain.registration import AssetMetadata

    return read_model(path, "metadata file", AssetMetadata)


def registration_json(r: Registration) -> dict[str, Any]:
    return {
        "id": r.id,
        "registration_number": r.registration_number,
        "certificate_number": r.certificate_number,
        "status": r.status.value,
        "holder": r.holder,
        "registrar_code": r.registrar_code,
        "asset_kind": r.asset_kind.value,
        "rights": sorted(x.value for x in r.rights),
        "classification": r.classification.value,
        "submitted_at": r.submitted_at.isoformat(),
        "notice_end": r.notice_end.isoformat() if r.notice_end else None,
        "issued_at": r.issued_at.isoformat() if r.issued_at else None,
        "valid_until": r.valid_until.isoformat() if r.valid_until else None,
        "open_objections": r.open_objections,
        "version": r.version,
        "fingerprint": r.fingerprint,
        "metadata_hash": r.metadata_hash,
        "parents": list(r.parents),
    }


def _show(r: Registration, as_json: bool, headline: str | None = None) -> None:
    lines = [headline] if headline else []
    lines += [
        f"registration {r.id}  number {r.registration_number}  status {r.status.value}",
        f"  holder {r.holder}  registrar {r.registrar_code}  version {r.version}",
        f"  fingerprint {r.fingerprint}",
    ]
    if r.certificate_number:
        lines.append(
            f"  certificate {r.certificate_number}  issued {r.issued_at:%Y-%m-%d}  "
            f"valid until {r.valid_until:%Y-%m-%d}"
        )
    emit(registration_json(r), as_json, lines)


def apply(
    metadata_file: MetadataFile,
    registrar: Annotated[int, typer.Option("--registrar", min=1, max=999, help="registrar code")],
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Apply for registration (申请). With --key-file the applicant signs and the service relays."""
    metadata = _metadata(metadata_file)
    ctx = open_context()
    reg = relayed_or_operator(
        ctx,
        key_file,
        password_file,
        ctx.registrations.sign_and_submit,
        ctx.registrations.submit,
        metadata,
        registrar,
    )
    _show(reg, as_json, "application submitted")


def issue(
    ids: Annotated[list[int], typer.Argument(help="registration ids; several issue in one batch")],
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue certificates (发证) once their notice window is over with no open objection."""
    signer = acting_key(key_file, "registrar staff", password_file)
    ctx = open_context()
    issued = (
        [ctx.registrations.issue(ids[0], signer)]
        if len(ids) == 1
        else ctx.registrations.issue_batch(ids, signer)
    )
    if as_json:
        emit([registration_json(r) for r in issued], True, [])
        return
    for r in issued:
        _show(r, False, f"issued certificate {r.certificate_number}")


def certificate(
    number: Annotated[str, typer.Argument(help="17-digit certificate number")],
    as_json: JsonFlag = False,
) -> None:
    """Show a certificate by its number (the check digit catches typos)."""
    from registry.domain.registration import public_metadata

    ctx = open_context()
    reg = ctx.registrations.by_certificate_number(number)
    metadata = public_metadata(ctx.registrations.metadata(reg))  # docs/privacy.md
    data = {**registration_json(reg), "metadata": metadata.document()}
    registrar_name = ctx.registrations.registrars.name(reg.registrar_code)
    emit(
        data,
        as_json,
        [
            f"certificate {reg.certificate_number}  ({reg.status.value})",
            f"  asset {metadata.name}  [{reg.asset_kind.value}, {reg.classification.value}]",
            f"  holder {metadata.holder.name} ({reg.holder})",
            f"  rights {', '.join(sorted(r.value for r in reg.rights))}",
            f"  registrar {reg.registrar_code} {registrar_name or ''}".rstrip(),
            f"  issued {reg.issued_at:%Y-%m-%d}  valid until {reg.valid_until:%Y-%m-%d}",
            f"  fingerprint {reg.fingerprint} (version {reg.version})",
        ],
    )


def show(reg_id: RegId, as_json: JsonFlag = False) -> None:
    """Show a registration by id, as the contract holds it."""
    _show(open_context().registrations.get(reg_id), as_json)


def object_(
    reg_id: RegId,
    evidence: Annotated[Path, typer.Option("--evidence", help="file supporting the objection")],
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """File an objection (异议) during the public-notice window."""
    try:
        body = evidence.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read evidence file {evidence}: {exc.strerror}") from exc
    ctx, signer = open_signed(key_file, password_file)
    media_type = mimetypes.guess_type(evidence.name)[0] or "application/octet-stream"
    objection_id = ctx.registrations.file_objection(reg_id, body, media_type, signer)
    emit(
        {"objection_id": objection_id}, False, [f"objection {objection_id} filed against {reg_id}"]
    )


def _new_content(
    reg_id: int,
    metadata_file: Path,
    key_file: Path | None,
    password_file: Path | None,
    step: Callable[[RegistrationService], Callable[[int, AssetMetadata, LocalAccount], Any]],
) -> Registration:
    """A holder's new content for a registration (``step`` picks change or resubmit)."""
    metadata = _metadata(metadata_file)
    ctx, signer = open_signed(key_file, password_file)
    reg: Registration = step(ctx.registrations)(reg_id, metadata, signer)
    return reg


def change(
    reg_id: RegId,
    metadata_file: MetadataFile,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a new version of an issued asset (变更): new fingerprint and/or metadata."""
    reg = _new_content(reg_id, metadata_file, key_file, password_file, lambda s: s.change)
    _show(reg, as_json, f"version {reg.version} recorded")


def resubmit(
    reg_id: RegId,
    metadata_file: MetadataFile,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Resubmit a returned application with corrected content."""
    reg = _new_content(reg_id, metadata_file, key_file, password_file, lambda s: s.resubmit)
    _show(reg, as_json, "application resubmitted")


def cancel(
    reg_id: RegId,
    reason: Reason,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """The holder cancels its certificate (注销)."""
    ctx, signer = open_signed(key_file, password_file)
    _show(ctx.registrations.cancel(reg_id, reason, signer), as_json, "cancelled")


RENEW_HELP = (
    "Renew a certificate (续展); registrar only, and only within the renewal window before it "
    "expires (earlier the chain refuses: RegistryRenewalWindowNotOpen). It then runs to now plus "
    "the validity period, capped by the source agreement's end: --source-agreement-end sets a "
    "new end; without it the current cap stays (it is never removed)."
)
REVOKE_HELP = (
    "Revoke a certificate (撤销); registrar only. A pledged or frozen certificate is revoked only "
    "under --ruling (else RegistryEncumbered); its pledge and licences are settled and the "
    "certificate is burned."
)
CLOSE_EXPIRED_HELP = (
    "Close a certificate whose validity has ended (到期注销); anyone may. It is burned, its live "
    "pledge and licences are settled, and its dataset may be registered again. Before its end "
    "the chain refuses: RegistryNotExpired."
)


def renew(
    reg_id: RegId,
    until: AgreementEnd = None,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Renew a certificate (续展); registrar only (see :data:`RENEW_HELP`)."""
    end = parse_date(until, "--source-agreement-end") if until else None
    signer = acting_key(key_file, "registrar staff", password_file)
    _show(open_context().registrations.renew(reg_id, end, signer), as_json, "renewed")


def revoke(
    reg_id: RegId,
    reason: Reason,
    code: ReasonCode = 0,
    ruling: Annotated[
        str | None,
        typer.Option(
            "--ruling",
            help="the ruling under which a pledged or frozen certificate is revoked (kept off "
            "chain; its hash on chain); without it such a certificate is refused",
        ),
    ] = None,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Revoke a certificate (撤销); registrar only (see :data:`REVOKE_HELP`)."""
    signer = acting_key(key_file, "registrar staff", password_file)
    reg = open_context().registrations.revoke(reg_id, code, reason, signer, ruling=ruling)
    _show(reg, as_json, "revoked under a ruling" if ruling is not None else "revoked")


def close_expired(
    number: Number,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Close a certificate whose validity has ended (到期注销); anyone may (see
    :data:`CLOSE_EXPIRED_HELP`)."""
    ctx, signer = open_signed(key_file, password_file)
    reg = ctx.registrations.by_certificate_number(number)
    _show(ctx.registrations.close_expired(reg.id, signer), as_json, "expired certificate closed")


#: The registrar's decisions on an application, each a command with a reason and a reason code:
#: its name, its help, what heads its output and the service's method.
DECISIONS: dict[str, tuple[str, str, Callable[[RegistrationService], Decision]]] = {
    "return": (
        "Return the application for correction.",
        "returned for correction",
        lambda s: s.return_for_correction,
    ),
    "reject": ("Reject the application.", "rejected", lambda s: s.reject),
}


def _add_decision(group: typer.Typer, name: str) -> None:
    """Add to ``group`` the command of the registrar's decision ``name`` (see :data:`DECISIONS`)."""
    help_text, done, pick = DECISIONS[name]

    def command(
        reg_id: RegId,
        reason: Reason,
        code: ReasonCode = 0,
        key_file: RoleKeyFile = None,
        password_file: PasswordFile = None,
        as_json: JsonFlag = False,
    ) -> None:
        signer = acting_key(key_file, "registrar staff", password_file)
        _show(pick(open_context().registrations)(reg_id, code, reason, signer), as_json, done)

    group.command(name, help=help_text)(command)


# --- review -------------------------------------------------------------------------------


@review_app.command("accept")
def review_accept(
    reg_id: RegId,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Formal review passed (受理)."""
    signer = acting_key(key_file, "registrar staff", password_file)
    _show(open_context().registrations.accept(reg_id, signer), as_json, "accepted")


_add_decision(review_app, "return")
_add_decision(review_app, "reject")


@review_app.command("notice")
def review_notice(
    reg_id: RegId,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Open the public-notice window (公示)."""
    signer = acting_key(key_file, "registrar staff", password_file)
    reg = open_context().registrations.open_notice(reg_id, signer)
    _show(reg, as_json, f"public notice open until {reg.notice_end:%Y-%m-%d %H:%M} UTC")


@review_app.command("standing")
def review_standing(
    reg_id: RegId,
    party: Annotated[str, typer.Argument(help="address")],
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """Give an interested party standing to object."""
    signer = acting_key(key_file, "registrar staff", password_file)
    open_context().registrations.grant_standing(reg_id, party, signer)
    emit({}, False, [f"{party} may object to registration {reg_id}"])


@review_app.command("rule")
def review_rule(
    objection_id: Annotated[int, id_argument("objection id")],
    upheld: Annotated[bool, typer.Option("--upheld/--dismissed", help="the ruling")],
    reason: Reason,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """Rule on an objection: upheld rejects the application, dismissed lets it proceed."""
    signer = acting_key(key_file, "registrar staff", password_file)
    o = open_context().registrations.rule_objection(objection_id, upheld, reason, signer)
    emit(
        {"objection_id": o.id, "status": o.status.value},
        False,
        [f"objection {o.id} {o.status.value}"],
    )


# --- registrars ---------------------------------------------------------------------------


@registrar_app.command("configure")
def registrar_configure(
    code: RegistrarCode,
    name: Annotated[str, typer.Option("--name", help="public name of the agency")],
    notice_days: Annotated[
        int, typer.Option("--notice-days", min=1, help="public-notice window")
    ] = 15,
    interested_only: Annotated[
        bool, typer.Option("--interested-only", help="only interested parties may object")
    ] = False,
    evidence_required: Annotated[
        bool, typer.Option("--evidence-required", help="fingerprints must be anchored first")
    ] = False,
    region: Annotated[str | None, typer.Option("--region", help="6-digit division code")] = None,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """Create or reconfigure a registration agency (admin)."""
    from registry.domain.registration import RegistrarPolicy

    admin = acting_key(key_file, "admin", password_file)
    policy = RegistrarPolicy(True, not interested_only, evidence_required, notice_days * 86_400)
    open_context().registrations.configure_registrar(code, policy, admin, name=name, region=region)
    emit({"code": code}, False, [f"registrar {code} {name} configured"])


@registrar_app.command("add-account")
def registrar_add_account(
    code: RegistrarCode,
    account: Annotated[str, typer.Argument(help="staff account address")],
    remove: Annotated[bool, typer.Option("--remove", help="unbind instead")] = False,
    key_file: RoleKeyFile = None,
    password_file: PasswordFile = None,
) -> None:
    """Bind a staff account to a registrar code (admin)."""
    admin = acting_key(key_file, "admin", password_file)
    open_context().registrations.set_registrar_account(code, account, admin, enabled=not remove)
    emit({}, False, [f"{account} {'removed from' if remove else 'added to'} registrar {code}"])


@registrar_app.command("show")
def registrar_show(code: RegistrarCode, as_json: JsonFlag = False) -> None:
    """Show a registrar's policy."""
    ctx = open_context()
    p = ctx.registrations.registrar_policy(code)
    data = {
        "code": code,
        "name": ctx.registrations.registrars.name(code),
        "active": p.active,
        "objections_open_to_all": p.objections_open_to_all,
        "evidence_required": p.evidence_required,
        "notice_period_days": p.notice_period / 86_400,
    }
    emit(data, as_json, [f"{k}: {v}" for k, v in data.items()])


def register(app: typer.Typer) -> None:
    """Attach the registration commands to the ``dareg`` app."""
    app.command()(apply)
    app.command()(issue)
    app.command()(certificate)
    app.command("registration")(show)
    app.command("object")(object_)
    app.command()(change)
    app.command()(resubmit)
    app.command()(cancel)
    app.command(
        help=RENEW_HELP, short_help="Renew a certificate within its renewal window (续展)."
    )(renew)
    app.command(help=REVOKE_HELP, short_help="Revoke a certificate (撤销); registrar only.")(revoke)
    app.command(
        "close-expired",
        help=CLOSE_EXPIRED_HELP,
        short_help="Close a certificate whose validity has ended (到期注销); anyone may.",
    )(close_expired)
    app.add_typer(review_app, name="review")
    app.add_typer(registrar_app, name="registrar")
