"""Reading a request body once in a middleware (api/asgi.py)."""

from __future__ import annotations

import anyio
from starlette.types import Message, Receive

from api.asgi import read_body, replaying


def _receiving(*messages: Message) -> tuple[list[Message], Receive]:
    queue = list(messages)

    async def receive() -> Message:
        return queue.pop(0)

    return queue, receive


def test_the_body_arrives_in_parts_and_is_joined() -> None:
    _, receive = _receiving(
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd", "more_body": False},
    )
    assert anyio.run(read_body, receive) == b"abcd"


def test_a_client_that_left_has_no_body() -> None:
    _, receive = _receiving(
        {"type": "http.request", "body": b"ab", "more_body": True}, {"type": "http.disconnect"}
    )
    assert anyio.run(read_body, receive) is None


def test_reading_stops_past_the_limit() -> None:
    queue, receive = _receiving(
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.request", "body": b"def", "more_body": True},
        {"type": "http.request", "body": b"ghi", "more_body": False},
    )
    body = anyio.run(read_body, receive, 4)
    assert body == b"abcdef"  # over the limit: the caller refuses it
    assert len(queue) == 1  # the rest was never read


def test_the_app_reads_the_body_again_then_the_disconnect() -> None:
    _, receive = _receiving({"type": "http.disconnect"})
    replay = replaying(b"abc", receive)

    async def both() -> list[Message]:
        return [await replay(), await replay()]

    assert anyio.run(both) == [
        {"type": "http.request", "body": b"abc", "more_body": False},
        {"type": "http.disconnect"},
    ]
