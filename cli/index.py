"""``dareg index``: run the indexer on its own (backfill, then optionally follow).

The embedded stack (``dareg up``) runs the indexer in a thread; this command is for a mirror
kept by a separate process (a PostgreSQL mirror for reporting, a re-sync after maintenance). It
shows a progress bar with blocks/s, events/s and the time left, or, with ``--quiet``, one log
line per batch for log collectors. Only one indexer writes a mirror at a time. The registry's
pieces come from :func:`cli.stack.start`, as for ``dareg up`` (without deploying or serving).
"""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import JsonFlag, emit, err, settings

if TYPE_CHECKING:
    from cli.stack import BatchProgress

Quiet = Annotated[bool, typer.Option("--quiet", help="no progress bar: one log line per batch")]
Follow = Annotated[
    bool, typer.Option("--follow", help="after catching up, keep following the chain")
]


class _Meter:
    """Blocks and events per second since the start of this run."""

    def __init__(self, start_block: int) -> None:
        self.started = time.monotonic()
        self.start_block = start_block
        self.blocks = 0
        self.events = 0

    def add(self, batch: BatchProgress) -> None:
        self.blocks = batch.to_block - self.start_block + 1
        self.events += batch.events

    def rates(self) -> tuple[float, float]:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return self.blocks / elapsed, self.events / elapsed


def index(follow: Follow = False, quiet: Quiet = False, as_json: JsonFlag = False) -> None:
    """Bring the SQL mirror up to the chain's head (and keep it there with --follow)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from cli.stack import start

    config = settings()
    pieces = start(config)
    indexer = pieces.indexer
    before = indexer.indexed_head()
    first = pieces.context.manifest.deploy_block if before is None else before + 1
    meter = _Meter(first)

    def log_line(batch: BatchProgress) -> None:
        meter.add(batch)
        blocks, events = meter.rates()
        err.print(
            f"indexed blocks {batch.from_block}..{batch.to_block} of {batch.target}: "
            f"{batch.events} events ({blocks:.0f} blocks/s, {events:.0f} events/s)",
            markup=False,
        )

    if quiet or as_json:
        head = indexer.sync_once(log_line if not as_json else meter.add)
    else:
        columns: list[Any] = [
            TextColumn("[bold]indexing[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rates]}"),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task("blocks", total=None, rates="")

            def show(batch: BatchProgress) -> None:
                meter.add(batch)
                blocks, events = meter.rates()
                bar.update(
                    task,
                    total=batch.target - first + 1,
                    completed=batch.to_block - first + 1,
                    rates=f"{blocks:,.0f} blocks/s  {events:,.0f} events/s",
                )

            head = indexer.sync_once(show)
    blocks, _ = meter.rates()
    emit(
        {"indexed_head": head, "events": meter.events, "blocks_per_second": round(blocks, 1)},
        as_json,
        [f"the mirror holds every block up to {head} ({meter.events} new events)"],
    )
    if not follow:
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    err.print("following the chain; Ctrl-C stops", markup=False)
    indexer.follow(stop, config.poll_interval)


def register(app: typer.Typer) -> None:
    app.command()(index)
