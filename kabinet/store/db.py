"""Engine, transactions and the account lock.

Why ``write()`` differs from ``read()``: every self-service step is one transaction that first locks
its account row, re-checks the guards and then changes state. On PostgreSQL that is ``SELECT … FOR
UPDATE``; SQLite has no row locks, so a write transaction starts with ``BEGIN IMMEDIATE`` and holds
the database's single write lock from its first statement. Reads start a plain deferred transaction
and, with WAL, never wait for writers.

Why two engines on PostgreSQL: the web tier runs each step as plain synchronous code (the flows know nothing of
async), but on PostgreSQL it runs that code in a greenlet inside the event loop (``Store.run``) over psycopg's
async connection, so a worker serves many clients without a thread per request: steps waiting on a lock or on the
database no longer hold the worker's few threads while everyone else's requests queue behind them (the
CPU per step came out the same within noise — docs/PERFORMANCE.md). Code outside
such a greenlet — the CLI, ``kabinet worker``, the in-process outbox thread, tests — gets the ordinary blocking
engine. Both reach the same database with the same statements; a session picks its engine when it opens.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar, cast

import anyio.to_thread
from sqlalchemy import (
    Connection,
    CursorResult,
    Engine,
    Result,
    Row,
    bindparam,
    create_engine,
    event,
    insert,
    make_url,
    select,
    text,
)
from sqlalchemy import (
    inspect as sa_inspect,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, instrumentation, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.util.concurrency import greenlet_spawn, in_greenlet

from kabinet.domain.errors import ConcurrentChange, Unavailable
from kabinet.store.models import Account, Challenge

P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M")

_READING_IN_LOOP: ContextVar[bool] = ContextVar("kabinet_reading_in_loop", default=False)
IMMEDIATE = "kabinet_immediate"
_WRITE: Any = {IMMEDIATE: True}  # our own execution option: not among SQLAlchemy's typed keys
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout ran out
# SQLSTATEs that mean "the database is not there right now", not "this statement is wrong": connection exceptions
# (class 08), the server shutting down or starting up (57P01-57P03), no connection slot (53300), and a write on a
# node that became read-only (25006: a standby reached before a failover finished).
_GONE_CLASSES = ("08",)
_GONE_STATES = {"57P01", "57P02", "57P03", "53300", "25006"}
_SQLITE_GONE = {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOTADB}
WEB_POOL_WAIT_S = 10
RETRY_AFTER_S = 5  # what a 503 tells a client to wait: a PostgreSQL restart or failover takes seconds
CONNECT_TIMEOUT_S = 3  # a database that does not answer at all must not hold a request longer than this
# A database that vanishes without a reset (a failover that drops packets, a cut cable) must not hold a connection for
# the kernel's quarter of an hour either: TCP keepalives find an idle peer gone within ~20 s, and a sent statement
# left unacknowledged that long fails (libpq's tcp_user_timeout) — then the request answers 503.
_TCP = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3,
        "tcp_user_timeout": 20_000}
# Session.info key of the contact books read in this transaction (``kabinet.store.contacts.present_contacts``).
CONTACT_BOOKS = "kabinet_contact_books"


def make_engine(url: str, lock_timeout_s: float | None = None, **kwargs: Any) -> Engine:
    """The blocking engine. On SQLite it is the only one, and ``lock_timeout_s`` (default 30) is how long a writer
    waits for the database's write lock before the step answers "try again"."""
    if url.startswith("sqlite"):
        # Enough pooled connections for every thread of the request pool: an overflow connection is opened and
        # closed per use, and opening one (WAL pragmas included) costs more than the query it serves.
        wait = lock_timeout_s or 30
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": wait}, pool_size=48,
                               max_overflow=16, **kwargs)
        _tune_sqlite(engine, int(wait * 1000))
        return engine
    return create_engine(url, pool_size=20, max_overflow=30, pool_pre_ping=True, pool_timeout=WEB_POOL_WAIT_S,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT_S, **_TCP}, **kwargs)


def make_loop_engine(url: str, lock_timeout_s: float | None = None) -> Engine | None:
    """PostgreSQL over psycopg's async connection, as the synchronous ``Engine`` SQLAlchemy layers over it: usable
    only in a greenlet the event loop started (``Store.run``), where each round trip yields to the loop. None for
    SQLite (local, and its writers wait on a file lock: they belong in threads) and for other drivers.

    ``lock_timeout_s``: a step that waits longer for a lock gives up (``ConcurrentChange``, "try again") instead of
    holding its connection while the pool's other waiters queue behind it. Only here, in the web tier: migrations and
    the worker keep waiting as long as it takes."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or parsed.get_driver_name() != "psycopg":
        return None
    from sqlalchemy.ext.asyncio import create_async_engine  # 1.7 MB a SQLite worker does without

    # Threads capped a worker at eight connections in use; greenlets are not capped, so the pool is: twenty a worker
    # (four workers and `kabinet worker` stay under PostgreSQL's default 100), the rest wait for one without blocking
    # the loop.
    # A request waits at most ``WEB_POOL_WAIT_S`` for a pooled connection, then answers 503 (never a hung request).
    options: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S, **_TCP}
    if lock_timeout_s:
        options["options"] = f"-c lock_timeout={int(lock_timeout_s * 1000)}"
    return create_async_engine(parsed.set(drivername="postgresql+psycopg_async"), pool_size=10, max_overflow=10,
                               pool_pre_ping=True, pool_timeout=WEB_POOL_WAIT_S, connect_args=options).sync_engine


def _tune_sqlite(engine: Engine, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we say BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", f"busy_timeout={busy_ms}"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writes take the write lock up front; reads run each statement on its own (autocommit): they need no
        # snapshot across statements, and a BEGIN/ROLLBACK pair per read is a visible share of a read's cost.
        if conn.get_execution_options().get(IMMEDIATE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")


class Store:
    """Owns the engine; hands out one SQLAlchemy session per step."""

    def __init__(self, engine: Engine, loop_engine: Engine | None = None) -> None:
        self.engine = engine
        self.loop_engine = loop_engine
        # SQLite reads are local and never wait for writers (WAL): cheap enough to run in an event loop.
        self.reads_inline = engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=True)

    @property
    def engines(self) -> list[Engine]:
        return [self.engine] if self.loop_engine is None else [self.engine, self.loop_engine]

    async def run(self, step: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a synchronous step from the event loop: on PostgreSQL in a greenlet of the loop itself (its queries
        yield to other requests), on SQLite in the thread pool (a writer may sleep on the database's lock)."""
        if self.loop_engine is not None:
            return await greenlet_spawn(functools.partial(step, *args, **kwargs))
        return await anyio.to_thread.run_sync(functools.partial(step, *args, **kwargs))

    async def run_read(self, step: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A read-only step, where it costs least: on SQLite in the event loop itself (a read in WAL mode never
        waits for a writer and takes a fraction of a millisecond — less than the hop to a worker thread and back,
        which was a quarter of a signed-in read); on PostgreSQL as ``run``."""
        if self.reads_inline:
            marked = _READING_IN_LOOP.set(True)
            try:
                return step(*args, **kwargs)
            finally:
                _READING_IN_LOOP.reset(marked)
        return await self.run(step, *args, **kwargs)

    def _open(self) -> Session:
        if self.loop_engine is not None and in_greenlet():
            return self._sessions(bind=self.loop_engine)
        return self._sessions()

    def carry(self, **info: Any) -> None:
        """Values every session of this store carries in ``Session.info`` (the history key)."""
        self._sessions.configure(info=info)

    @classmethod
    def from_url(cls, url: str, *, lock_timeout_s: float | None = None) -> Store:
        return cls(make_engine(url, lock_timeout_s), make_loop_engine(url, lock_timeout_s))

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: commits when the block ends, rolls everything back on any error."""
        if _READING_IN_LOOP.get():  # it would wait for SQLite's lock with the whole event loop
            raise RuntimeError("a write inside a step run as read-only (Store.run_read)")
        with self._open() as session:
            try:
                session.connection(execution_options=_WRITE)  # SQLite: may wait for the write lock
                yield session
                session.commit()
            except IntegrityError as exc:
                # A unique index decided a race the locks did not cover: the citizen gets an answer, not a 500.
                session.rollback()
                raise ConcurrentChange() from exc
            except (DBAPIError, PoolTimeout) as exc:
                _rollback_quietly(session)
                if isinstance(exc, OperationalError) and _waited_out(exc):
                    raise ConcurrentChange() from exc
                if database_gone(exc):
                    raise Unavailable(retry_after=RETRY_AFTER_S) from exc
                raise
            except BaseException:
                _rollback_quietly(session)
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        try:
            with self._open() as session:  # closing ends the transaction; loaded objects stay readable
                yield session
        except (DBAPIError, PoolTimeout) as exc:
            if database_gone(exc):
                raise Unavailable(retry_after=RETRY_AFTER_S) from exc
            raise

    @contextmanager
    def rows(self) -> Iterator[Connection]:
        """A read of plain rows on a connection, without an ORM session: for the lookups every request makes (the
        session by its token), where opening a session and loading an object cost more than the query."""
        engine = self.loop_engine if self.loop_engine is not None and in_greenlet() else self.engine
        try:
            with engine.connect() as conn:
                yield conn
        except (DBAPIError, PoolTimeout) as exc:
            if database_gone(exc):
                raise Unavailable(retry_after=RETRY_AFTER_S) from exc
            raise

    def after_fork(self) -> None:
        """In a process forked from the one that built this store: forget the parent's pools without touching
        their connections (SQLAlchemy's advice for ``os.fork``); this process opens its own."""
        for engine in self.engines:
            engine.dispose(close=False)

    def dispose(self) -> None:
        """Close every pooled connection. The async ones need a loop to close in: a fresh one here (psycopg's
        async connections are not bound to the loop that opened them); ``aclose`` in a running loop."""
        self.engine.dispose()
        if self.loop_engine is not None:
            asyncio.run(greenlet_spawn(self.loop_engine.dispose))

    async def aclose(self) -> None:
        self.engine.dispose()
        if self.loop_engine is not None:
            await greenlet_spawn(self.loop_engine.dispose)


def database_gone(exc: BaseException) -> bool:
    """The error says the database cannot be reached now (restart, failover, network, no free connection), not that
    a statement is wrong: the step may simply be tried again later (a 503, not a 500)."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.Error):
        return (getattr(orig, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_GONE  # the primary code of an extended one
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    state = getattr(orig, "sqlstate", None)
    return state is None or state.startswith(_GONE_CLASSES) or state in _GONE_STATES


def _rollback_quietly(session: Session) -> None:
    """Roll back; on a connection that is already gone the rollback fails too, and that must not hide why."""
    try:
        session.rollback()
    except DBAPIError:
        session.close()


def detached(model: type[M], row: Row[Any]) -> M:
    """An instance of ``model`` from a plain row of all its table's columns, as if loaded by a session since
    closed: half the cost of loading it through the ORM, and it behaves the same (``db.add`` re-attaches it, a
    change to it is a change of that row)."""
    obj: M = instrumentation.manager_of_class(model).new_instance()
    for key, value in zip(_attributes(model), row, strict=True):
        set_committed_value(obj, key, value)
    make_transient_to_detached(obj)
    return obj


def columns_of(model: type[Any]) -> list[Any]:
    """Every column of ``model``'s table, in the order ``detached`` reads them."""
    return list(sa_inspect(model).local_table.columns)


_ATTRIBUTES: dict[type[Any], tuple[str, ...]] = {}


def _attributes(model: type[Any]) -> tuple[str, ...]:
    if (known := _ATTRIBUTES.get(model)) is None:
        mapper = sa_inspect(model)
        known = _ATTRIBUTES[model] = tuple(mapper.get_property_by_column(c).key for c in mapper.local_table.columns)
    return known


_INSERTS: dict[type[Any], Any] = {}


def insert_row(db: Session, model: type[Any], values: dict[str, Any]) -> Any:
    """One row of ``model`` inserted at once as a plain statement inside the step's transaction — no object, no
    unit of work (half the cost of an ORM insert, for the rows every change writes: its history event,
    its messages). Objects the step added before are flushed first, so a row may refer to them. Its primary key."""
    if db.new:
        db.flush()
    if (statement := _INSERTS.get(model)) is None:
        statement = _INSERTS[model] = insert(model.__table__)
    key = db.connection().execute(statement, values).inserted_primary_key
    assert key is not None
    return key[0]


def changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (a ``CursorResult``'s, which ``Session.execute`` types loosely)."""
    return cast("CursorResult[Any]", result).rowcount


def _waited_out(exc: OperationalError) -> bool:
    """The step waited for a lock as long as it may: PostgreSQL's lock_timeout, or SQLite's busy timeout."""
    if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return True
    return isinstance(exc.orig, sqlite3.OperationalError) and exc.orig.sqlite_errorcode == sqlite3.SQLITE_BUSY


# The hot statements are built once, with bound parameters: building and keying a statement per call cost more than
# running it (~50–80 µs a query saved). SQLAlchemy caches their compiled form.
_LOCK_ACCOUNT = select(Account).where(Account.id == bindparam("id")).with_for_update()
_LOCK_CHALLENGE = (select(Challenge).where(Challenge.id == bindparam("id")).with_for_update()
                   .execution_options(populate_existing=True))


def lock_account(session: Session, account_id: uuid.UUID) -> Account | None:
    """The account row, locked until the transaction ends (a no-op lock on SQLite, see module doc). Contacts read
    before the lock are forgotten: what the step decides on must be read under it."""
    session.info.pop(CONTACT_BOOKS, None)
    return session.scalars(_LOCK_ACCOUNT, {"id": account_id}).one_or_none()


def lock_challenge(session: Session, challenge_id: uuid.UUID) -> Challenge | None:
    """The challenge row, locked and read afresh. Callers lock the account first (one lock order everywhere),
    so two confirms of one code queue here and the second sees the first one's ``consumed_at``."""
    return session.scalars(_LOCK_CHALLENGE, {"id": challenge_id}).one_or_none()


def lock_value(session: Session, kind: str, value: str) -> None:
    """Serialise every transaction that may verify this phone or address, on any account, until commit: the
    "is it verified elsewhere?" check that follows then sees the other side's outcome. PostgreSQL takes a
    transaction-scoped advisory lock; SQLite's single writer already serialises (``BEGIN IMMEDIATE``)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"{kind}:{value}".encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
