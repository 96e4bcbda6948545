"""The ``dareg`` command line.

Every failure prints one line, ``dareg: error: <sentence>``, on standard error and exits non-zero:
2 for bad input, 3 when a verification finds no match, 1 for everything else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from cli import (
    access,
    access_log,
    audit,
    index,
    keys,
    registration,
    report,
    rights,
    trace,
    upgrade,
    valuation,
    verification,
)
from cli.common import (
    DatasetPath,
    JsonFlag,
    KeyFile,
    PasswordFile,
    emit,
    err,
    open_context,
    out,
    read_json,
    relayed_or_operator,
    settings,
    write_output,
)
from registry.db.writes import staging
from registry.domain.deployment import DeploymentManifest
from registry.domain.evidence import EvidenceRecord
from registry.errors import DaregError, DeploymentError, InputError, VerificationFailedError

app = typer.Typer(
    name="dareg",
    help="dareg: blockchain-backed registry of data assets (数据资产登记).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
EXIT_FAILURE, EXIT_INPUT, EXIT_MISMATCH = 1, 2, 3


def _record_json(record: EvidenceRecord, chain_id: int) -> dict[str, Any]:
    return {
        "fingerprint": record.fingerprint_hex,
        "anchorer": record.anchorer,
        "relayer": record.relayer,
        "anchored_at": record.anchored_at.isoformat(),
        "block_number": record.block_number,
        "tx_hash": record.tx_hash,
        "chain_id": chain_id,
    }


def _fingerprint(path: Path) -> Any:
    from registry.evidence.fingerprint import fingerprint_path

    return fingerprint_path(path)


@app.command()
def up(
    demo: Annotated[
        bool, typer.Option("--demo", help="seed a sample registry on first start")
    ] = False,
) -> None:
    """Run the registry: embedded anvil, contracts, indexer and the API on 127.0.0.1:8000."""
    from cli.stack import Stack

    Stack(settings(), demo=demo, console=out).run()


@app.command()
def deployment() -> None:
    """Print the deployment manifest (chain id, contracts, deploy block, artifacts hash) as JSON."""
    config = settings()
    manifest = DeploymentManifest.load(config.manifest_path)
    if manifest is None:
        raise DeploymentError(
            f"no deployment recorded at {config.manifest_path}; start the registry with `dareg up`"
        )
    out.print_json(manifest.model_dump_json())


@app.command()
def fingerprint(path: DatasetPath, as_json: JsonFlag = False) -> None:
    """Compute the dataset fingerprint (dfp1 Merkle root; see docs/fingerprint.md)."""
    fp = _fingerprint(path)
    emit(
        {
            "fingerprint": fp.hex,
            "algorithm": "dfp1",
            "kind": fp.kind,
            "files": fp.entry_count,
            "bytes": fp.total_size,
        },
        as_json,
        [fp.hex],
    )


@app.command()
def anchor(
    path: DatasetPath,
    key_file: KeyFile = None,
    password_file: PasswordFile = None,
    as_json: JsonFlag = False,
) -> None:
    """Anchor the dataset's fingerprint on chain as the signer's own anchor; the signer's existing
    anchor is returned, not duplicated (other accounts may anchor the same fingerprint)."""
    fp = _fingerprint(path)
    context = open_context()
    outcome = relayed_or_operator(
        context,
        key_file,
        password_file,
        context.evidence.sign_and_relay,
        context.evidence.anchor,
        fp.value,
    )
    record = outcome.record
    verb = "anchored" if outcome.created else "already anchored"
    emit(
        {**_record_json(record, context.manifest.chain_id), "created": outcome.created},
        as_json,
        [
            f"{verb}: {record.fingerprint_hex}",
            f"  by {record.anchorer} at {record.anchored_at.isoformat()} "
            f"(block {record.block_number}, tx {record.tx_hash})",
        ],
    )


@app.command()
def verify(path: DatasetPath, as_json: JsonFlag = False) -> None:
    """Recompute the fingerprint and report whether, when and by whom it was anchored."""
    fp = _fingerprint(path)
    context = open_context()
    anchors = context.evidence.anchors(fp.value)
    record = anchors[0] if anchors else None
    if record is None:
        if as_json:
            out.print_json(json.dumps({"fingerprint": fp.hex, "anchored": False}))
        raise VerificationFailedError(
            f"{path} (fingerprint {fp.hex}) has not been anchored "
            f"on chain {context.manifest.chain_id}"
        )
    chain_id = context.manifest.chain_id
    emit(
        {
            **_record_json(record, chain_id),
            "anchored": True,
            "anchors": [_record_json(a, chain_id) for a in anchors],
        },
        as_json,
        [
            f"anchored: {record.fingerprint_hex}",
            f"  first by {record.anchorer} at {record.anchored_at.isoformat()} "
            f"(block {record.block_number}, tx {record.tx_hash}, chain {chain_id})",
            *(
                f"  also by {a.anchorer} at {a.anchored_at.isoformat()} "
                f"(block {a.block_number}, tx {a.tx_hash})"
                for a in anchors[1:]
            ),
        ],
    )


@app.command()
def prove(
    path: DatasetPath,
    member: Annotated[
        Path | None,
        typer.Option(
            "--member",
            help="a file inside the dataset: its path from the current directory, from the "
            "dataset, or absolute",
        ),
    ] = None,
    chunk: Annotated[
        int | None, typer.Option("--chunk", min=0, help="a chunk index (1 MiB chunks)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the proof here")
    ] = None,
) -> None:
    """An inclusion proof that one file (or chunk) belongs to the dataset's fingerprint."""
    from registry.evidence.proof import prove as make_proof

    if member is None and chunk is None:
        raise InputError("say what to prove: --member FILE and/or --chunk N")
    proof = make_proof(path, member=member, chunk=chunk)
    text = json.dumps(proof.to_json(), ensure_ascii=False, indent=2)
    if output is None:
        out.print(text)
    else:
        write_output(output, (text + "\n").encode("utf-8"))
        err.print(f"proof written to {output}")


@app.command("verify-proof")
def verify_proof(
    proof_file: Annotated[Path, typer.Argument(help="a proof written by `dareg prove`")],
    member: Annotated[
        Path | None, typer.Option("--member", help="your copy of the member file")
    ] = None,
    chunk_file: Annotated[
        Path | None, typer.Option("--chunk-file", help="a file holding the proven chunk's bytes")
    ] = None,
) -> None:
    """Check an inclusion proof offline: no chain, no network, no rest of the dataset."""
    from registry.evidence.proof import InclusionProof
    from registry.evidence.proof import verify as check

    raw = read_json(proof_file, "proof file")
    chunk_bytes = chunk_file.read_bytes() if chunk_file is not None else None
    result = check(InclusionProof.from_json(raw), member_file=member, chunk_bytes=chunk_bytes)
    if not result.ok:
        raise VerificationFailedError(f"proof does not verify: {result.reason}")
    out.print(f"proof verifies: {result.reason}")


registration.register(app)
verification.register(app)
rights.register(app)
valuation.register(app)
index.register(app)
audit.register(app)
trace.register(app)
report.register(app)
upgrade.register(app)
access_log.register(app)
access.register(app)
keys.register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the app and turns every error into one line and an exit code.

    The command runs in a staging scope (:func:`registry.db.writes.staging`): the documents it
    stores are written once a transaction carrying them is mined, or when it ends without an
    error, and never for a command that fails."""
    try:
        with staging() as staged:
            result = app(args=argv, standalone_mode=False)
            if not isinstance(result, int) or result == 0:  # not a typer.Exit with a failure
                staged.flush()
    except VerificationFailedError as exc:
        err.print(f"dareg: {exc}")
        sys.exit(EXIT_MISMATCH)
    except DaregError as exc:
        err.print(f"dareg: error: {exc}")
        sys.exit(EXIT_INPUT if isinstance(exc, InputError) else EXIT_FAILURE)
    except (click.exceptions.Abort, typer.Abort):
        err.print("dareg: aborted")
        sys.exit(130)
    except (click.exceptions.ClickException, typer.TyperException) as exc:
        # Typer parses with its own copy of click: its usage errors are TyperExceptions
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"dareg: error: {exc}")
        sys.exit(int(getattr(exc, "exit_code", EXIT_INPUT)))
    except KeyboardInterrupt:
        sys.exit(130)
