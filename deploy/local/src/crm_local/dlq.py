"""`crm dlq`: the events consumers gave up on, and replaying them once the cause is fixed.

A consumer that cannot apply an event after its retries produces it to `<topic>.dlq` with
the original key, value and headers plus `dlq-error`, `dlq-topic`, `dlq-partition`,
`dlq-offset` and `dlq-consumer` (servicekit.consumer). `list` reads those topics from the
beginning; `retry` produces the dead-lettered value again to its original topic, with its key
and its original headers (the `dlq-*` ones dropped). Every consumer of that topic sees it
again: one that applied the event meanwhile finds its id in the inbox and skips it, so a
retry is safe to repeat.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from crm_local.console import make_console
from crm_local.home import Home

DLQ_SUFFIX = ".dlq"
DLQ_HEADER_PREFIX = "dlq-"

dlq_app = typer.Typer(
    help="Dead-lettered events: list them, replay them after a fix.", no_args_is_help=True
)


class DlqError(Exception):
    """The dead-letter topics cannot be read or written; the message says why."""


@dataclass(frozen=True)
class DeadLetter:
    """One record of a `<topic>.dlq` topic, with what the consumer said about it."""

    dlq_topic: str
    partition: int
    offset: int
    dead_lettered_at: str  # ISO 8601, from the record's timestamp
    topic: str  # where the event came from and where a retry sends it
    original_partition: int | None
    original_offset: int | None
    consumer: str | None
    error: str | None
    event_id: str | None
    event_type: str | None
    tenant: str | None
    key: bytes | None = field(repr=False)
    value: bytes | None = field(repr=False)
    headers: tuple[tuple[str, bytes], ...] = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        """Everything but the raw bytes; the value as text when it is text."""
        data = asdict(self)
        for raw in ("key", "value", "headers"):
            data.pop(raw)
        data["key"] = self.key.decode(errors="replace") if self.key is not None else None
        data["value"] = self.value.decode(errors="replace") if self.value is not None else None
        return data

    def replay_headers(self) -> list[tuple[str, bytes]]:
        """The headers the event travelled with before it was dead-lettered."""
        return [(k, v) for k, v in self.headers if not k.startswith(DLQ_HEADER_PREFIX)]


def source_topic(name: str) -> str:
    """`crm.sales.events` for either `crm.sales.events` or `crm.sales.events.dlq`."""
    return name.removesuffix(DLQ_SUFFIX)


def _text(value: bytes | None) -> str | None:
    return value.decode(errors="replace") if value is not None else None


def _int(value: bytes | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_record(
    dlq_topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]],
) -> DeadLetter:
    """A dead-letter record, understood without trusting it: the value may be anything."""
    named = {k: v for k, v in headers}
    event: dict[str, Any] = {}
    try:
        parsed = json.loads(value or b"")
        if isinstance(parsed, dict):
            event = parsed
    except ValueError:
        pass
    event_id = event.get("id") or _text(named.get("ce_id"))
    event_type = event.get("type") or _text(named.get("ce_type"))
    tenant = event.get("tenantid") or _text(named.get("ce_tenantid"))
    return DeadLetter(
        dlq_topic=dlq_topic,
        partition=partition,
        offset=offset,
        dead_lettered_at=datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(),
        topic=_text(named.get("dlq-topic")) or source_topic(dlq_topic),
        original_partition=_int(named.get("dlq-partition")),
        original_offset=_int(named.get("dlq-offset")),
        consumer=_text(named.get("dlq-consumer")),
        error=_text(named.get("dlq-error")),
        event_id=str(event_id) if event_id is not None else None,
        event_type=str(event_type) if event_type is not None else None,
        tenant=str(tenant) if tenant is not None else None,
        key=key,
        value=value,
        headers=tuple((k, bytes(v)) for k, v in headers),
    )


async def read_dead_letters(bootstrap: str, topics: Sequence[str]) -> list[DeadLetter]:
    """Every record now in the dead-letter topics of `topics` (source or `.dlq` names),
    oldest first."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.errors import KafkaError

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    wanted = [source_topic(t) + DLQ_SUFFIX for t in dict.fromkeys(topics)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="crm-dlq",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        request_timeout_ms=10_000,
    )
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        raise DlqError(f"cannot reach the broker at {bootstrap}: {exc}") from exc
    letters: list[DeadLetter] = []
    try:
        existing = await consumer.topics()
        missing = [t for t in wanted if t not in existing]
        if missing:
            raise DlqError(f"no such topic: {', '.join(missing)}")
        partitions = [
            TopicPartition(topic, p)
            for topic in wanted
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        todo = set(partitions)
        while todo:
            if loop.time() > deadline:
                raise DlqError("reading the dead-letter topics took over 60 s")
            batches = await consumer.getmany(*todo, timeout_ms=500)
            for records in batches.values():
                letters += [
                    parse_record(
                        record.topic,
                        record.partition,
                        record.offset,
                        record.timestamp,
                        record.key,
                        record.value,
                        list(record.headers or ()),
                    )
                    for record in records
                ]
            for tp in list(todo):
                if await caught_up(consumer, tp):
                    todo.discard(tp)
    finally:
        await consumer.stop()
    letters.sort(key=lambda d: (d.dead_lettered_at, d.dlq_topic, d.partition, d.offset))
    return letters


async def caught_up(consumer: Any, tp: Any) -> bool:
    """True once the consumer has read `tp` up to the high watermark of its last fetch.

    The fetch response's high watermark, not ListOffsets: the embedded broker (Tansu)
    answers ListOffsets with the last batch's base offset + 1, short of a batch's records."""
    highwater = consumer.highwater(tp)
    return highwater is not None and await consumer.position(tp) >= highwater


def to_retry(letters: Sequence[DeadLetter], event_id: str | None) -> list[DeadLetter]:
    """The records to replay: those of `event_id` (all when None), one per event and topic:
    an event several consumers gave up on goes back once, and all of them see it."""
    chosen: dict[tuple[str, str], DeadLetter] = {}
    for letter in letters:
        if event_id is not None and letter.event_id != event_id:
            continue
        identity = letter.event_id or f"{letter.dlq_topic}/{letter.partition}/{letter.offset}"
        chosen.setdefault((letter.topic, identity), letter)
    return list(chosen.values())


async def replay(bootstrap: str, letters: Sequence[DeadLetter]) -> int:
    """Produce each letter to its original topic (key, value, original headers); waits for
    the broker's acknowledgement of every one. Returns how many were sent."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    if not letters:
        return 0
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id="crm-dlq", acks="all", request_timeout_ms=10_000
    )
    try:
        await producer.start()
    except KafkaError as exc:
        await producer.stop()
        raise DlqError(f"cannot reach the broker at {bootstrap}: {exc}") from exc
    try:
        for letter in letters:
            await producer.send_and_wait(
                letter.topic,
                value=letter.value,
                key=letter.key,
                headers=letter.replay_headers(),
            )
    except KafkaError as exc:
        raise DlqError(f"replaying to the broker failed: {exc}") from exc
    finally:
        await producer.stop()
    return len(letters)


# -- the commands --------------------------------------------------------------------------

TopicOption = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        "-t",
        help="Event topic (or its .dlq) to look at (repeatable); default all four.",
    ),
]
BootstrapOption = Annotated[
    str | None,
    typer.Option(help="Broker address; default the running platform's (run.json)."),
]
HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="State directory; default $CRM_HOME or ./.crm", show_default=False),
]


def _fail(message: str) -> typer.Exit:
    make_console(stderr=True).print(
        f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
    )
    return typer.Exit(1)


def _bootstrap(bootstrap: str | None, home: Path | None) -> str:
    if bootstrap is not None:
        return bootstrap
    resolved = Home.resolve(home)
    info = resolved.read_run()
    if info is None or not info.supervisor_alive():
        raise _fail(
            f"the platform is not running from {resolved.root} "
            "(start it with `crm up`, or pass --bootstrap)"
        )
    return info.broker.bootstrap


def _topics(topic: list[str] | None) -> list[str]:
    from crm_contracts.topics import ALL_TOPICS

    return list(topic or ALL_TOPICS)


@dlq_app.command("list")
def dlq_list(
    topic: TopicOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    bootstrap: BootstrapOption = None,
    home: HomeOption = None,
) -> None:
    """Show every dead-lettered event: when, from which topic, which consumer, and why."""
    address = _bootstrap(bootstrap, home)
    try:
        letters = asyncio.run(read_dead_letters(address, _topics(topic)))
    except DlqError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(json.dumps([d.as_json() for d in letters], indent=2) + "\n")
        return
    console = make_console()
    if not letters:
        console.print("no dead-lettered events")
        return
    console.print(f"[bold]{len(letters)} dead-lettered events[/]", highlight=False)
    for d in letters:
        console.print(
            f"\n[bold]{d.event_id or '?'}[/] {escape(d.event_type or 'not a CloudEvent')} "
            f"(tenant {escape(d.tenant or '?')})\n"
            f"  from {escape(d.topic)}[{d.original_partition}]@{d.original_offset}, "
            f"given up by {escape(d.consumer or '?')} at {d.dead_lettered_at[:19]}\n"
            f"  [red]error:[/] {escape(d.error or '-')}",
            highlight=False,
            soft_wrap=True,
        )


@dlq_app.command("retry")
def dlq_retry(
    topic: TopicOption = None,
    event_id: Annotated[
        str | None, typer.Option("--id", help="Replay the dead letters of this event id.")
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Replay every dead-lettered event.")
    ] = False,
    bootstrap: BootstrapOption = None,
    home: HomeOption = None,
) -> None:
    """Send dead-lettered events back to their topic (after fixing what broke them).
    Consumers that applied one meanwhile skip it."""
    if (event_id is None) == (not everything):
        raise _fail("say which: --id EVENT_ID or --all")
    address = _bootstrap(bootstrap, home)
    try:
        letters = asyncio.run(read_dead_letters(address, _topics(topic)))
        chosen = to_retry(letters, event_id)
        if event_id is not None and not chosen:
            raise DlqError(f"no dead-lettered event {event_id}")
        sent = asyncio.run(replay(address, chosen))
    except DlqError as exc:
        raise _fail(str(exc)) from exc
    console = make_console()
    for letter in chosen:
        console.print(
            f"replayed {letter.event_id or '?'} ({letter.event_type or 'not a CloudEvent'}) "
            f"to {letter.topic}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"{sent} event(s) replayed", highlight=False)
