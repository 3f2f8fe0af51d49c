"""The project's exceptions, in one place.

ReaderError
 ├── ConfigError                  a settings file is wrong (names file, line, key)
 ├── StorageError                 the store failed (wraps the backend's own errors)
 │    ├── NotFoundError
 │    │    ├── FeedNotFoundError      (carries the feed URL)
 │    │    ├── ItemNotFoundError      (carries the item id)
 │    │    └── ViewNotFoundError      (carries the view name)
 │    ├── FeedExistsError             (carries the feed URL)
 │    ├── ViewExistsError             (carries the view name)
 │    ├── StoreLockedError            another daemon holds the database
 │    └── DatabaseError               the database itself failed, whatever was asked (carries
 │         │                          where it is, the cause and what to do); an update stops
 │         ├── DiskFullError              no space left for it (SQLITE_FULL, PostgreSQL 53100)
 │         ├── DatabaseIOError            the disk failed a read or write (SQLITE_IOERR)
 │         ├── DatabaseCorruptError       damaged, or not a database (SQLITE_CORRUPT, NOTADB)
 │         ├── DatabaseReadOnlyError      it cannot be written (SQLITE_READONLY, 25006)
 │         ├── DatabaseBusyError          another process kept it locked too long
 │         └── DatabaseUnavailableError   the server cannot be reached (PostgreSQL)
 ├── InvalidSearchQueryError      a search that cannot run (carries a one-line hint)
 ├── SearchTimeoutError           a search ran out of its time (says so, and what to try)
 ├── SourceError                  a local input (seed file, OPML file) is unusable
 │    ├── SeedFileError               (carries the path)
 │    └── OPMLError                   (carries the path)
 ├── DiscoveryError               no feed found at a web page (says what was tried)
 │    └── PageUnreachableError        the page could not be fetched to look
 └── FeedError                    one feed could not be updated (carries the URL)
      ├── FetchError                  the HTTP exchange failed
      │    ├── BlockedAddressError     the host resolves to a non-public address
      │    ├── ResponseTooLargeError   the body is over the size cap
      │    ├── DeadlineExceededError   the whole request took too long
      │    └── HTTPStatusError         a status that is neither 2xx nor 304 (carries it)
      └── ParseError                  the document is not a usable feed

Every message is one line a user can act on; the CLI prints it and exits 1.
"""

from __future__ import annotations

from pathlib import Path


class ReaderError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(ReaderError):
    """A settings file is malformed or has an unknown key or a wrong type."""

    def __init__(
        self, path: Path | str, message: str, *, key: str | None = None, line: int | None = None
    ) -> None:
        self.path = Path(path)
        self.key = key
        self.line = line
        where = str(self.path)
        if line is not None:
            where += f", line {line}"
        if key is not None:
            where += f", key {key!r}"
        super().__init__(f"{where}: {message}")


class StorageError(ReaderError):
    """The store could not do what was asked."""


class NotFoundError(StorageError):
    """The thing asked for is not in the store."""


class FeedNotFoundError(NotFoundError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"no such feed: {url}")


class ItemNotFoundError(NotFoundError):
    def __init__(self, item_id: int, *more: int) -> None:
        self.item_id = item_id
        self.item_ids = (item_id, *more)
        if more:
            super().__init__(f"no such items: {', '.join(map(str, self.item_ids))}")
        else:
            super().__init__(f"no such item: {item_id}")


class FeedExistsError(StorageError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"feed already added: {url}")


class ViewNotFoundError(NotFoundError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no such view: {name}")


class ViewExistsError(StorageError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a view named {name!r} exists already")


class DiscoveryError(ReaderError):
    """No feed was found at a web page; the message says what was tried."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"{url}: {message}")


class PageUnreachableError(DiscoveryError):
    """The URL could not be fetched (network, address guard, HTTP error): nothing was learnt
    about whether it is a feed."""


class InvalidSearchQueryError(ReaderError):
    """A search query that cannot be run even read forgivingly; the message is a hint."""

    def __init__(self, query: str, hint: str) -> None:
        self.query = query
        self.hint = hint
        super().__init__(f"invalid search query {query!r}: {hint}")


class SearchTimeoutError(ReaderError):
    """A search took longer than its deadline and was stopped."""

    def __init__(self, query: str, seconds: float) -> None:
        self.query = query
        self.seconds = seconds
        super().__init__(
            f"search {query!r} stopped after {seconds:g} s; try more specific words,"
            " or a field such as title:word"
        )


class StoreLockedError(StorageError):
    """Another process holds an exclusive role (such as the daemon) on this database."""


class DatabaseError(StorageError):
    """The database itself failed, not because of what was asked: an update stops at once.

    `location` is the file or (password-free) URL, `cause` the database's own words and
    `advice` what the user can do. The message is one line: ``database LOCATION: CAUSE;
    ADVICE``.
    """

    advice = "run `reader db check`"

    def __init__(self, location: str, cause: str, advice: str | None = None) -> None:
        self.location = location
        self.cause = cause
        if advice is not None:
            self.advice = advice
        super().__init__(f"database {location}: {cause}; {self.advice}")


class DiskFullError(DatabaseError):
    """No space is left for the database (or its journal) on its disk."""

    advice = "free space on its disk (what was stored so far is kept)"


class DatabaseIOError(DatabaseError):
    """The disk or filesystem failed to read or write the database."""

    advice = "check the disk, then run `reader db check`"


class DatabaseCorruptError(DatabaseError):
    """The database file is damaged or is not a database."""

    advice = "run `reader db check`, or restore the file from a copy"


class DatabaseReadOnlyError(DatabaseError):
    """The database (or its folder) cannot be written."""

    advice = "make the file and its folder writable by this user"


class DatabaseBusyError(DatabaseError):
    """Another process kept the database locked for longer than we wait."""

    advice = "try again when the other process is done"


class DatabaseUnavailableError(DatabaseError):
    """The database server cannot be reached (down, restarting for too long, out of slots)."""

    advice = "check that the server runs and can be reached from here"


class SourceError(ReaderError):
    """A local input file cannot be used."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: {message}")


class SeedFileError(SourceError):
    """A seed article file is empty, not UTF-8, or unreadable."""


class OPMLError(SourceError):
    """An OPML file is not well-formed or holds no outlines."""


class FeedError(ReaderError):
    """One feed could not be updated; the rest of the update goes on."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        self.message = message
        super().__init__(f"{url}: {message}")


class FetchError(FeedError):
    """The HTTP exchange for a feed failed."""


class BlockedAddressError(FetchError):
    """The host resolves to a loopback, private, link-local or other non-public address."""


class ResponseTooLargeError(FetchError):
    """The (decoded) body is larger than the configured cap."""


class DeadlineExceededError(FetchError):
    """The whole request, headers and body, took longer than the deadline."""


class HTTPStatusError(FetchError):
    """The server answered with a status that is neither 2xx nor 304."""

    def __init__(self, url: str, status: int, message: str | None = None) -> None:
        self.status = status
        super().__init__(url, message or f"HTTP {status}")


class ParseError(FeedError):
    """The document is not a feed we can read (HTML page, empty, truncated, wrong JSON)."""
