"""The parser worker process: `python -m reader.parse FD MEMORY_MB`.

Started by `ParserPool` with one end of a socket pair as FD. It caps its own address space
(RLIMIT_AS) before importing the parser, says it is ready, then parses one job at a time until
told to stop or its pipe closes. Every failure becomes an ("error", one-line reason) answer;
only a kill (deadline) or a crash ends the process mid-job, and the pool replaces it.
"""

from __future__ import annotations

import resource
import signal
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

_MIB = 1024 * 1024

READY = "ready"
"""The first message a worker sends, once the parser is imported."""


@dataclass(frozen=True)
class Job:
    """One document to parse, with the caps to apply."""

    body: bytes
    url: str
    content_type: str | None
    max_items: int
    max_field_chars: int
    normalize: bool = False
    """Also turn the items into `ItemWrite`s (content hashes included) here, off the caller's
    process: the answer is then (ParsedFeed, list[ItemWrite])."""
    article: bool = False
    """The body is a web page: extract its article (`ParsedArticle`, or None for none)."""


def limit_memory(memory_limit_mb: int) -> None:
    """Cap this process's address space so a memory bomb raises MemoryError here, not OOM."""
    if memory_limit_mb <= 0:
        return
    limit = memory_limit_mb * _MIB
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run_job(job: Job, memory_limit_mb: int) -> tuple[str, Any]:
    """Parse one document; ("ok", ParsedFeed) or ("error", reason)."""
    from reader.exceptions import ParseError
    from reader.normalize import to_item_writes
    from reader.parse.document import parse_document

    try:
        if job.article:
            from reader.parse.article import extract_article

            return "ok", extract_article(
                job.body, url=job.url, content_type=job.content_type, max_chars=job.max_field_chars
            )
        parsed = parse_document(
            job.body,
            url=job.url,
            content_type=job.content_type,
            max_items=job.max_items,
            max_field_chars=job.max_field_chars,
        )
        if job.normalize:
            # The writes share their strings with the parsed items, so pickling them together
            # costs little more than the parsed feed alone.
            return "ok", (parsed, to_item_writes(parsed))
        return "ok", parsed
    except ParseError as exc:
        return "error", exc.message
    except MemoryError:
        return "error", f"document needs more than the {memory_limit_mb} MiB parse memory limit"
    except RecursionError:
        return "error", "document nested too deeply"
    except Exception as exc:  # a parser bug must fail this feed, not the worker or the update
        return "error", f"parser failed: {type(exc).__name__}: {str(exc)[:200]}"


def serve(conn: Connection, memory_limit_mb: int) -> None:
    """A worker's life: limit memory, import the parser, then answer jobs until told to stop."""
    # Stopping is the pool's business (a stop message, a closed pipe, or a kill), never a
    # terminal's Ctrl-C: a worker interrupted mid-import would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_memory(memory_limit_mb)
    # Both imported once here, before the first deadline starts.
    import reader.normalize
    import reader.parse.document  # noqa: F401

    conn.send(READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        outcome = run_job(job, memory_limit_mb)
        try:
            conn.send(outcome)
        except MemoryError:
            conn.send(("error", "parsed result too large to hand back within the memory limit"))
        except OSError:
            return


def main(argv: list[str]) -> int:
    """Entry point: argv is [FD, MEMORY_MB]."""
    if len(argv) != 2:
        print("usage: python -m reader.parse FD MEMORY_MB", file=sys.stderr)
        return 2
    serve(Connection(int(argv[0])), int(argv[1]))
    return 0
