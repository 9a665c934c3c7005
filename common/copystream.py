"""Stream the output of `COPY (query) TO STDOUT` to an HTTP response, chunk by chunk.

PostgreSQL formats CSV itself, in C, faster than Python's csv module can write the same rows
(docs/BENCHMARKS.md, export). psycopg2 only offers COPY TO as a blocking call that writes into
a file object, so the COPY runs in a helper thread on the request's own database connection
while the response generator hands out what arrives, through a small bounded queue (so a slow
client holds back the COPY instead of filling the memory). The request thread only waits on
the queue while the helper uses the connection: the connection is never used by both at once.

If the client goes away, the generator is closed: the COPY is cancelled on the server
(`connection.cancel()`), the helper finishes, and the surrounding transaction rolls back.
"""

from __future__ import annotations

import queue
import threading
from typing import Iterator

from django.db import connection, transaction

CHUNK_BYTES = 256 * 1024
QUEUE_CHUNKS = 8
_DONE = object()


def _put(out: queue.Queue, stop: threading.Event, item) -> None:
    """Hand `item` to the reader, unless the reader is gone (then drop it)."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.2)
            return
        except queue.Full:
            continue


class _Sink:
    """The file psycopg2 writes every COPY row into; hands on blocks of CHUNK_BYTES."""

    def __init__(self, out: queue.Queue, stop: threading.Event, chunk_bytes: int):
        self.out, self.stop, self.chunk_bytes = out, stop, chunk_bytes
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> None:
        # Never raise here: psycopg2 would leave the connection in the middle of the COPY.
        # When the reader is gone, rows are dropped until the cancelled COPY ends.
        if self.stop.is_set():
            return
        self.parts.append(data)
        self.size += len(data)
        if self.size >= self.chunk_bytes:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            _put(self.out, self.stop, b"".join(self.parts))
        self.parts, self.size = [], 0


def copy_sql(query: str, params: dict, *, csv_header: bool = True) -> str:
    """`COPY (query) TO STDOUT` as CSV, with the parameters bound (COPY takes no placeholders)."""
    with connection.cursor() as cur:
        bound = cur.mogrify(query, params).decode()
    return f"COPY ({bound}) TO STDOUT WITH (FORMAT csv{', HEADER' if csv_header else ''})"


def copy_stream(sql: str, *, setup_sql: str = "", chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Yield the bytes of a COPY ... TO STDOUT statement, in one transaction with `setup_sql`."""
    with transaction.atomic():
        with connection.cursor() as cur:
            if setup_sql:
                cur.execute(setup_sql)
        raw = connection.connection
        out: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        stop = threading.Event()

        def work():
            sink = _Sink(out, stop, chunk_bytes)
            try:
                with raw.cursor() as cur:
                    cur.copy_expert(sql, sink)
                sink.flush()
                result = _DONE
            except BaseException as exc:  # handed to the reader, raised there
                result = exc
            _put(out, stop, result)

        helper = threading.Thread(target=work, name="laksa-copy-out", daemon=True)
        helper.start()
        finished = False
        try:
            while True:
                item = out.get()
                if item is _DONE:
                    finished = True
                    break
                if isinstance(item, BaseException):
                    finished = True
                    with connection.wrap_database_errors:  # as Django's own cursors raise them
                        raise item
                yield item
        finally:
            if not finished:
                # The reader stopped early (client gone, or an error while sending).
                stop.set()
                raw.cancel()
            helper.join()
