"""The regulator's audit: compare the SQL mirror with the chain (exit 3 on drift)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, emit, open_context
from registry.errors import MirrorDriftError

if TYPE_CHECKING:
    from api.schemas.regulator import AuditPublic, RawEventPublic


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _row(log: RawEventPublic) -> str:
    return (
        f"block_hash={log.block_hash} tx_hash={log.tx_hash} address={log.address} "
        f"topics=[{', '.join(log.topics)}] data={log.data}"
    )


def report_lines(report: AuditPublic) -> list[str]:
    """A one-line verdict, the notes, then each drift on its own line."""
    where = (
        f"blocks {report.from_block}..{report.to_block} of chain {report.chain_id} "
        f"(as of block {report.as_of_block}, {report.as_of_time:%Y-%m-%d %H:%M:%S} UTC)"
    )
    if report.consistent:
        lines = [
            f"CONSISTENT: the mirror matches the chain over {where}: "
            f"{report.certificates_checked} certificate(s), {report.events_on_chain} event(s) in "
            f"{report.blocks_compared} block(s); digest {report.chain_digest}"
        ]
    else:
        lines = [
            f"DRIFT: the mirror differs from the chain over {where}: "
            f"{len(report.certificate_drifts)} certificate drift(s), "
            f"{len(report.event_drifts)} event drift(s), {len(report.block_digests)} block(s) "
            f"with other digests; mirror digest {report.mirror_digest}, chain digest "
            f"{report.chain_digest}"
        ]
    lines += [f"note: {note}" for note in report.notes]
    for c in report.certificate_drifts:
        lines.append(
            f"certificate {c.certificate_number or '-'} (token {c.token_id}) {c.field}: "
            f"mirror {_value(c.mirror)}, chain {_value(c.chain)}"
        )
    for e in report.event_drifts:
        position = f"event {e.block_number}:{e.log_index}"
        if e.kind == "missing" and e.chain is not None:
            lines.append(f"{position} missing in the mirror; chain {_row(e.chain)}")
        elif e.kind == "extra" and e.mirror is not None:
            lines.append(f"{position} extra in the mirror; mirror {_row(e.mirror)}")
        elif e.mirror is not None and e.chain is not None:
            lines.append(
                f"{position} differs in {', '.join(e.fields)}; mirror {_row(e.mirror)}; "
                f"chain {_row(e.chain)}"
            )
    for b in report.block_digests:
        lines.append(
            f"block {b.block_number} digest: mirror {b.mirror or 'none'}, chain {b.chain or 'none'}"
        )
    return lines


def audit(
    from_block: Annotated[
        int | None,
        typer.Option("--from-block", help="first block (default: the deployment block)"),
    ] = None,
    to_block: Annotated[
        int | None,
        typer.Option("--to-block", help="last block (default and at most: the indexed head)"),
    ] = None,
    certificate: Annotated[
        list[str] | None,
        typer.Option(
            "--certificate",
            help="17-digit certificate number to check (repeatable; default: every certificate)",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Compare the SQL mirror with the chain: certificates, raw events, block digests (exit 3
    when they drift; see docs/audit.md)."""
    from api.schemas.regulator import AuditPublic

    report = open_context().audit.audit(
        from_block, to_block, certificate_numbers=certificate or None
    )
    public = AuditPublic.of(report)
    emit(public.model_dump(mode="json"), as_json, report_lines(public))
    if not public.consistent:
        raise MirrorDriftError(
            f"the mirror drifts from the chain: {public.drift_count} drift(s) over blocks "
            f"{public.from_block}..{public.to_block}",
            drifts=public.drift_count,
        )


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
