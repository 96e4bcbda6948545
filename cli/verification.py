"""The financier's checks: one answer about a certificate, and whether a dataset matches it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from cli.common import JsonFlag, emit, open_context, read_json
from registry.errors import InputError, VerificationFailedError

Number = Annotated[str, typer.Argument(help="17-digit certificate number")]


def check_certificate(
    number: Number,
    block: Annotated[
        int | None, typer.Option("--block", min=0, help="answer as of this block")
    ] = None,
    loan_maturity: Annotated[
        str | None,
        typer.Option("--loan-maturity", help="YYYY-MM-DD; the certificate must outlast it"),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Is the certificate genuine, valid, unencumbered — lendable? (exit 3 when not lendable)"""
    from api.schemas.verification import VerificationPublic

    maturity = None
    if loan_maturity:
        try:
            maturity = datetime.combine(date.fromisoformat(loan_maturity), time(0), tzinfo=UTC)
        except ValueError:
            raise InputError(
                f"--loan-maturity {loan_maturity!r} is not a date (YYYY-MM-DD)"
            ) from None
    answer = open_context().verification.verify(number, block=block, loan_maturity=maturity)
    public = VerificationPublic.of(answer)
    lines = [
        f"certificate {number} as of block {public.as_of_block}: "
        + ("genuine" if public.genuine else "NOT FOUND on this registry")
    ]
    if public.genuine:
        lines += [
            f"  status {public.status}  holder {public.holder.name if public.holder else ''} "
            f"({public.holder.address if public.holder else ''})",
            f"  valid until {public.valid_until:%Y-%m-%d}"
            if public.valid_until
            else "  not issued",
            f"  pledges {len(public.pledges)}  live licences {len(public.licences)} "
            f"(exclusive {sum(1 for x in public.licences if x.exclusive)})  frozen {public.frozen}",
        ]
    lines.append("LENDABLE" if public.lendable else "NOT LENDABLE")
    lines += [f"  - {b}" for b in public.blockers] + [f"  ! {c}" for c in public.cautions]
    emit(public.model_dump(mode="json"), as_json, lines)
    if not public.lendable:
        raise VerificationFailedError(
            f"certificate {number} is not lendable: {'; '.join(public.blockers)}"
        )


def check_data(
    number: Number,
    data: Annotated[Path | None, typer.Option("--data", help="your copy of the dataset")] = None,
    proof: Annotated[
        Path | None, typer.Option("--proof", help="an inclusion proof (dareg prove)")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Does this dataset (or an inclusion proof of one of its files) match the certificate?"""
    from registry.evidence.fingerprint import fingerprint_path
    from registry.evidence.proof import InclusionProof, verify

    if (data is None) == (proof is None):
        raise InputError("give either --data PATH or --proof FILE")
    if data is not None:
        fingerprint = fingerprint_path(data).value
    else:
        assert proof is not None
        parsed = InclusionProof.from_json(read_json(proof, "proof file"))
        checked = verify(parsed)
        if not checked.ok:
            raise VerificationFailedError(f"the inclusion proof does not verify: {checked.reason}")
        fingerprint = parsed.fingerprint_bytes
    match = open_context().verification.match_data(number, fingerprint)
    text = (
        f"matches version {match.version} of {number}"
        + (" (the current one)" if match.is_current else f" (current is {match.current_version})")
        if match.matches
        else f"{match.fingerprint} matches no registered version of {number}"
    )
    emit(
        {
            "matches": match.matches,
            "version": match.version,
            "current_version": match.current_version,
            "fingerprint": match.fingerprint,
            "as_of_block": match.as_of_block,
        },
        as_json,
        [text],
    )
    if not match.matches:
        raise VerificationFailedError(text)


def register(app: typer.Typer) -> None:
    app.command("check-certificate")(check_certificate)
    app.command("check-data")(check_data)
