"""Distributed crawling: one frontier and one seen-set in Redis, shared by worker processes on several machines.

The engine is scrapy-redis (its Scheduler, queue base class and request fingerprints), with two changes it needs
here (README, "Distributed crawling"):
- its queues *pop* a request, so a worker killed with SIGKILL loses whatever it had in flight. `Frontier.pop` moves
  the request into the worker's lease hash instead, atomically (a Lua script); the lease is given up when the
  response has been handled — its callback returned and every output handed on (`Hold`, counted by
  `LeaseMiddleware`, the scheduler and the item signals), or its errback ran — and, for a document, the archive has
  committed it (`ReportsSpider.archived`). Each worker keeps a key alive with a TTL; any worker finding another's
  key expired puts that worker's leases back into the frontier (`Frontier.reap`);
- "seen" and "queued" are one atomic step (`Frontier.push`), so that a kill between the two cannot drop a request
  that is already marked seen.
Workers stop when the frontier and every lease have been empty for `NIANBAO_IDLE_EXIT` seconds. Per-portal request
budgets are Redis counters (`crawler.fetch.budget`). The spider's own memory between runs is `crawler.state`, in the
archive's database. A request that cannot be serialised stays with the worker that made it, holding the lease of the
response it came from.

Keys, all under `nianbao:<run>:` — frontier (sorted set, by priority, then first come), sequence (its counter),
seen (set of fingerprints), leases:<worker> (hash lease id → score and request), alive:<worker> (TTL key), workers
(set), budget (hash); `nianbao:current` names the last seeded run.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import socket
import time
from dataclasses import dataclass

import redis
from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object
from scrapy.utils.request import request_from_dict
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task
from twisted.python.failure import Failure

from archive.crawl_state import committed_in_run
from crawler import settings as defaults
from crawler.constants import Kind
from crawler.items import Fetched

log = logging.getLogger(__name__)
LEASE = "nianbao_lease"  # request.meta: the lease id of a request popped from the frontier
PARENT = "nianbao_parent_lease"  # request.meta, until scheduled: the lease of the response that led to it
CURRENT = "nianbao:current"

# Seen and queued in one step; a request re-queued by a middleware (retry, redirect, challenge) gives up the
# lease of the request it replaces in the same step, so it is never both leased and queued. The score is
# −priority × 10⁹ + a sequence number: first come, first served within a priority, which interleaves the portals
# (equal scores would be ordered by the serialised request, that is by URL: one host after another).
_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then
  if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
  return 0
end
redis.call('ZADD', KEYS[2], -tonumber(ARGV[2]) * 1e9 + redis.call('INCR', KEYS[4]), ARGV[3])
if ARGV[4] ~= '' then redis.call('HDEL', KEYS[3], ARGV[4]) end
return 1
"""
_POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local id = redis.sha1hex(top[1])
redis.call('HSET', KEYS[2], id, top[2] .. '\\n' .. top[1])
return {id, top[1]}
"""


@dataclass
class Hold:
    """What still keeps a lease: the callback's output not yet handed on, a document not yet committed, a request
    kept by this worker that carries the lease on."""

    running: bool = True  # the callback is still producing output
    outstanding: int = 0  # outputs not yet scheduled / through the item pipeline
    commit: bool = False  # a document of it waits for the archive's commit
    passed_on: bool = False

    @property
    def free(self) -> bool:
        return not (self.running or self.outstanding or self.commit or self.passed_on)


class Unshareable(Exception):
    """A request that cannot be serialised for the shared frontier."""


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=30, retry_on_timeout=True)


def reach(url: str) -> redis.Redis:
    """A connection that answered, or SystemExit with what went wrong."""
    try:
        server = connect(url)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise SystemExit(f"cannot use Redis at {url}: {exc}") from exc
    return server


def _text(value: bytes | str) -> str:
    """A Redis reply as text. Our connections answer bytes (no decode_responses); redis-py types a reply as either."""
    return value.decode() if isinstance(value, bytes) else value


def current_run(server: redis.Redis) -> str | None:
    value = server.get(CURRENT)
    return _text(value) if value else None


def worker_settings(url: str, run: str, worker: str, idle_exit: float | None) -> dict:
    """The settings that make a crawl a worker of `run`: the distributed preset and the run's own keys."""
    prefix = f"nianbao:{run}:"
    out = {**defaults.PRESETS["distributed"], "NIANBAO_REDIS": url, "REDIS_URL": url, "NIANBAO_RUN": run,
           "NIANBAO_WORKER": worker, "SCHEDULER_QUEUE_KEY": prefix + "frontier",
           "SCHEDULER_DUPEFILTER_KEY": prefix + "seen"}
    if idle_exit is not None:
        out["NIANBAO_IDLE_EXIT"] = idle_exit
    return out


def join_run(url: str, run: str | None, name: str | None, idle_exit: float | None) -> tuple[str, str, dict]:
    """(the run id, the years seeded, this worker's settings) for `nianbao crawl --distributed`: the run named, or
    the last one seeded."""
    server = reach(url)
    run = run or current_run(server)
    if run is None:
        raise SystemExit(f"no run seeded in {url}: run `nianbao seed --distributed {url}` first, or give --run-id")
    years = server.get(f"nianbao:{run}:years")
    if years is None:
        raise SystemExit(f"run {run!r} was never seeded in {url}")
    return run, _text(years), worker_settings(url, run, name or worker_name(), idle_exit)


class Frontier:
    """The shared frontier of one run, as one worker sees it."""

    def __init__(self, server: redis.Redis, run: str, worker: str, spider,
                 lease_seconds: float = defaults.NIANBAO_LEASE_SECONDS):
        self.server, self.run, self.worker, self.spider = server, run, worker, spider
        self.prefix = f"nianbao:{run}:"
        self.frontier, self.seen, self.workers = (self.prefix + k for k in ("frontier", "seen", "workers"))
        self.leases = self.lease_key(worker)
        self.alive = self.prefix + f"alive:{worker}"
        self.lease_seconds = lease_seconds
        self.fingerprint = RFPDupeFilter(server, self.seen).request_fingerprint
        self._push, self._pop = server.register_script(_PUSH), server.register_script(_POP)
        self.holds: dict[str, Hold] = {}  # lease → what keeps it, while its response is being handled
        self.awaiting: dict[str, str] = {}  # document URL → lease, until the archive commits it

    def lease_key(self, worker: str) -> str:
        return self.prefix + f"leases:{worker}"

    # -- requests -------------------------------------------------------------------------------------------------
    def encode(self, request) -> bytes:
        try:
            return picklecompat.dumps(request.to_dict(spider=self.spider))
        except (TypeError, ValueError, AttributeError, pickle.PicklingError) as exc:
            raise Unshareable(f"{type(exc).__name__}: {exc}") from exc

    def decode(self, data: bytes):
        return request_from_dict(picklecompat.loads(data), spider=self.spider)

    def push(self, request, fingerprint: bool = True) -> bool:
        """Queue `request` unless its fingerprint was seen in this run; False when it was."""
        replaces = request.meta.pop(LEASE, None) or ""
        try:
            data = self.encode(request)
        except Unshareable:
            if replaces:
                request.meta[LEASE] = replaces
            raise
        fp = self.fingerprint(request) if fingerprint else ""
        return bool(self._push(keys=[self.seen, self.frontier, self.leases, self.prefix + "sequence"],
                               args=[fp, request.priority, data, replaces]))

    def pop(self):
        found = self._pop(keys=[self.frontier, self.leases])
        if not found:
            return None
        lease, data = found
        request = self.decode(data)
        request.meta[LEASE] = lease.decode()
        return request

    def done(self, request) -> None:
        """The request has been handled: give up its lease."""
        lease = request.meta.get(LEASE)
        if lease:
            self.holds.pop(lease, None)
            self.server.hdel(self.leases, lease)

    # The lease of a response is given up once its callback has finished, every output has been scheduled or been
    # through the item pipeline (Scrapy hands them on concurrently, after the callback may have returned), and a
    # document of it has been committed.
    def hold(self, lease: str) -> Hold:
        return self.holds.setdefault(lease, Hold())

    def handled(self, lease: str | None) -> None:
        """One output of the response with `lease` has been handed on."""
        if not lease:
            return
        hold = self.holds.get(lease)
        if hold is not None:
            hold.outstanding -= 1
            self._release(lease)

    def finished(self, lease: str) -> None:
        """The callback has produced all its output."""
        if lease in self.holds:
            self.holds[lease].running = False
            self._release(lease)

    def await_commit(self, url: str, lease: str) -> None:
        self.hold(lease).commit = True
        self.awaiting[url] = lease

    def committed(self, url: str) -> None:
        lease = self.awaiting.pop(url, None)
        if lease and lease in self.holds:
            self.holds[lease].commit = False
            self._release(lease)

    def _release(self, lease: str) -> None:
        if self.holds[lease].free:
            del self.holds[lease]
            self.server.hdel(self.leases, lease)

    def spend(self, portal: str) -> int:
        """One more request for `portal`, across all workers; the count so far."""
        return int(self.server.hincrby(self.prefix + "budget", portal, 1))

    # -- workers ----------------------------------------------------------------------------------------------------
    def heartbeat(self) -> None:
        with self.server.pipeline() as pipe:
            pipe.set(self.alive, b"1", ex=max(1, round(self.lease_seconds)))
            pipe.sadd(self.workers, self.worker)
            pipe.execute()

    def leave(self) -> None:
        """This worker stops: its leases (none, unless it stops early) go back to the frontier."""
        self.server.delete(self.alive)
        self.reap(self.worker)

    def reap_dead(self) -> int:
        """Put back the leases of workers whose alive key has expired; the number of requests put back."""
        back = 0
        for member in self.server.smembers(self.workers):
            name = _text(member)
            if name != self.worker and not self.server.exists(self.prefix + f"alive:{name}"):
                back += self.reap(name)
        return back

    def reap(self, worker: str) -> int:
        key = self.lease_key(worker)
        back = 0

        def move(pipe) -> None:
            nonlocal back
            leases = pipe.hvals(key)
            requeue = []
            for value in leases:
                score, _, data = value.partition(b"\n")
                if not self._committed_in_run(data):
                    requeue.append((data, float(score)))
            pipe.multi()
            for data, score in requeue:
                pipe.zadd(self.frontier, {data: score})
            pipe.delete(key)
            pipe.srem(self.workers, worker)
            back = len(requeue)

        self.server.transaction(move, key)
        if back:
            log.warning("worker %s is gone: %d of its requests are back in the frontier", worker, back)
        return back

    def _committed_in_run(self, data: bytes) -> bool:
        """A document a dead worker fetched and the archive committed, though its lease was not yet given up."""
        child = picklecompat.loads(data).get("meta", {}).get("child")
        if child is None or not child.is_document:
            return False
        with self.spider.archive.reader.connect() as conn:
            return committed_in_run(conn, child.url, self.run)

    def busy(self) -> bool:
        """Whether anything is queued or leased by any worker."""
        names = [_text(n) for n in self.server.smembers(self.workers)] + [self.worker]
        with self.server.pipeline(transaction=False) as pipe:
            pipe.zcard(self.frontier)
            for name in names:
                pipe.hlen(self.lease_key(name))
            return any(pipe.execute())

    def __len__(self) -> int:
        return int(self.server.zcard(self.frontier))


class LeasedQueue(Base):
    """scrapy-redis's queue interface over `Frontier` (the scheduler's `queue`)."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        s = spider.settings
        self.frontier = Frontier(server, s.get("NIANBAO_RUN"), s.get("NIANBAO_WORKER"), spider,
                                 s.getfloat("NIANBAO_LEASE_SECONDS"))

    def __len__(self) -> int:
        return len(self.frontier)

    def push(self, request) -> None:
        self.frontier.push(request, fingerprint=False)

    def pop(self, timeout=0):
        return self.frontier.pop()

    def clear(self) -> None:
        raise RuntimeError("the shared frontier is never cleared by a worker")


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler with leases, atomic seen-and-queued, and exit after an idle period."""

    @classmethod
    def from_settings(cls, settings):
        if not settings.get("NIANBAO_REDIS"):
            raise NotConfigured("the distributed scheduler needs NIANBAO_REDIS")
        instance = super().from_settings(settings)
        instance.idle_exit = settings.getfloat("NIANBAO_IDLE_EXIT")
        return instance

    def open(self, spider) -> None:
        # scrapy-redis's open() also builds a dupefilter, which `Frontier.push` replaces.
        self.spider = spider
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, key=self.queue_key,
                                                 serializer=self.serializer)
        self.frontier: Frontier = self.queue.frontier
        self.local: list = []  # requests that cannot be serialised, kept by this worker alone
        if len(self.frontier):
            log.info("joining run %s: %d requests in the shared frontier", self.frontier.run, len(self.frontier))
        spider.frontier = self.frontier
        self.idle_since: float | None = None
        self.busy_at = float("-inf")  # when Redis last said there was work
        self.frontier.heartbeat()
        self.beat = task.LoopingCall(self._beat, spider)
        self.beat.start(1.0, now=False)

    def _beat(self, spider) -> None:
        self.frontier.heartbeat()
        self.frontier.reap_dead()
        # An idle engine asks the scheduler again only every 5 s: ask now, another worker may have queued work.
        slot = getattr(spider.crawler.engine, "_slot", None)
        if slot is not None:
            slot.nextcall.schedule()

    def close(self, reason: str) -> None:
        if self.beat.running:
            self.beat.stop()
        self.frontier.leave()

    def enqueue_request(self, request) -> bool:
        # dont_filter is honoured only for a popped request coming back (a retry, a challenge's second try):
        # fresh requests, POST API pages included, are fetched once per run across all workers.
        parent = request.meta.pop(PARENT, None)
        requeue = request.dont_filter and LEASE in request.meta
        try:
            pushed = self.frontier.push(request, fingerprint=not requeue)
        except Unshareable as exc:
            # Live objects in its meta (a callback's parsed tree, say): it is crawled here, holding the lease of
            # the response it came from, so that if this worker dies that response is fetched again elsewhere.
            log.warning("request kept by this worker, not in the shared frontier (%s): %s", exc, request)
            if parent and LEASE not in request.meta:
                request.meta[LEASE] = parent
                self.frontier.hold(parent).passed_on = True
            if self.stats:
                self.stats.inc_value("nianbao/unshared_requests")
            self.local.append(request)
            self.frontier.handled(parent)
            return True
        self.frontier.handled(parent)
        if not pushed:
            if self.stats:
                self.stats.inc_value("dupefilter/filtered")
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        request = self.local.pop() if self.local else self.frontier.pop()
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        now = time.monotonic()
        # The engine asks after every request; while there is work, asking Redis a few times a second is enough.
        if self.local or now - self.busy_at < 0.25:
            return True
        if self.frontier.busy():
            self.idle_since, self.busy_at = None, now
            return True
        if self.idle_since is None:
            self.idle_since = now
            log.info("the shared frontier is empty; stopping after %.0f s without work", self.idle_exit)
        return now - self.idle_since < self.idle_exit


class LeaseMiddleware:
    """Counts a response's outputs into its lease's `Hold`: requests are counted off by the scheduler, items by
    the item signals; a document's lease also waits for the archive's commit."""

    def __init__(self, crawler):
        self.crawler = crawler
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_handled, signal=signal)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("NIANBAO_REDIS"):
            raise NotConfigured
        return cls(crawler)

    def item_handled(self, item, response, **_) -> None:
        frontier: Frontier | None = self.crawler.spider.frontier
        if frontier is not None and response is not None and not isinstance(response, Failure):
            frontier.handled(response.request.meta.get(LEASE))

    async def process_spider_output(self, response, result):
        frontier: Frontier | None = self.crawler.spider.frontier
        lease = response.request.meta.get(LEASE)
        if frontier is None or not lease:
            async for out in result:
                yield out
            return
        hold = frontier.hold(lease)
        hold.running, hold.passed_on = True, False  # a request kept locally carries its lease on to here
        try:
            async for out in result:
                if out is None:
                    continue
                hold.outstanding += 1
                if isinstance(out, Request):
                    out.meta[PARENT] = lease
                elif isinstance(out, Fetched) and out.kind == Kind.DOCUMENT:
                    frontier.await_commit(out.capture.requested_url, lease)
                yield out
        except Exception:
            frontier.done(response.request)  # a page that breaks its callback is not retried forever
            raise
        frontier.finished(lease)


def fingerprints_memory(server: redis.Redis, count: int, batch: int = 10_000) -> float:
    """Bytes of Redis memory per seen-set fingerprint, measured by adding `count` synthetic ones to a scratch key."""
    key = f"nianbao:bench:{os.getpid()}:seen"
    server.delete(key)
    before = server.info("memory")["used_memory"]
    for start in range(0, count, batch):
        server.sadd(key, *(hashlib.sha1(f"{start + i}".encode()).hexdigest() for i in range(batch)))
    after = server.info("memory")["used_memory"]
    server.delete(key)
    return (after - before) / count
