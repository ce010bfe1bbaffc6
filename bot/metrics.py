"""What the bot counts, and GET /metrics to read it in Prometheus' text format.

prometheus-client keeps the counters and histograms and writes the exposition format; it also
sums the figures of several worker processes when PROMETHEUS_MULTIPROC_DIR names a directory
they share (each worker writes its values there; a scrape reads them all). Without it every
process counts alone, which is right for one worker; a scrape of N workers would see one.

Metrics (all prefixed bot_):
  updates_total{platform,outcome}   webhook requests refused (rejected_signature, rejected_secret,
                                    bad_request, too_large) and updates handled (answered,
                                    duplicate, silent, error: handling failed, the error reply
                                    went out; send_failed: the platform refused the reply)
  replies_total{platform,kind}      replies sent, by kind (answer, suggest, fallback, emergency...)
  handle_seconds{platform}          time to decide a reply: session, red flags, matching
  redis_errors_total                Redis operations that failed (the bot answered without them)
  faq_info{version}, faq_entries    the FAQ being served (this process; not summed)
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

# Deciding a reply takes milliseconds; the upper buckets catch a slow Redis.
HANDLE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self, registry: CollectorRegistry, multiprocess_dir: str | None = None) -> None:
        self.registry = registry
        self._multiprocess_dir = multiprocess_dir
        self.updates = Counter(
            "bot_updates", "Webhook requests refused and updates handled, by outcome",
            ["platform", "outcome"], registry=registry,
        )  # fmt: skip
        self.replies = Counter(
            "bot_replies", "Replies sent, by kind", ["platform", "kind"], registry=registry
        )
        self.handle_seconds = Histogram(
            "bot_handle_seconds", "Time to decide a reply (session, red flags, matching)",
            ["platform"], buckets=HANDLE_BUCKETS, registry=registry,
        )  # fmt: skip
        self.redis_errors = Counter(
            "bot_redis_errors", "Redis operations that failed; the bot answered without them",
            registry=registry,
        )  # fmt: skip
        self._local: list[object] = []
        if multiprocess_dir is None:
            # Figures of this process only: with several workers they would not add up.
            for collector in (ProcessCollector, PlatformCollector, GCCollector):
                collector(registry=registry)

    def updated(self, platform: str, outcome: str) -> None:
        self.updates.labels(platform, outcome).inc()

    def handled(self, platform: str, seconds: float) -> None:
        self.handle_seconds.labels(platform).observe(seconds)

    def replied(self, platform: str, kind: str) -> None:
        self.replies.labels(platform, kind).inc()

    def redis_failed(self, error: BaseException) -> None:
        self.redis_errors.inc()

    def watch_faq(self, version: Callable[[], str], entries: Callable[[], int]) -> None:
        """Report the FAQ this process serves, read at each scrape (it changes on reload)."""
        collector = _FaqCollector(version, entries)
        self._local.append(collector)
        self.registry.register(collector)

    def exposition(self) -> bytes:
        if self._multiprocess_dir is None:
            return generate_latest(self.registry)
        scrape = CollectorRegistry()
        MultiProcessCollector(scrape, path=self._multiprocess_dir)
        for collector in self._local:
            scrape.register(collector)  # type: ignore[arg-type]
        return generate_latest(scrape)


class _FaqCollector:
    def __init__(self, version: Callable[[], str], entries: Callable[[], int]) -> None:
        self._version = version
        self._entries = entries

    def collect(self) -> Iterator[Metric]:
        version = {"version": self._version()}
        yield InfoMetricFamily("bot_faq", "The FAQ being served", value=version)
        yield GaugeMetricFamily("bot_faq_entries", "Entries in the FAQ", value=self._entries())


def metrics_route(metrics: Metrics, token: str | None) -> Route:
    """GET /metrics; with a token, only for `Authorization: Bearer <token>`."""

    async def scrape(request: Request) -> Response:
        if token is not None:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return PlainTextResponse("unauthorized", status_code=401)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", scrape, methods=["GET"])


def clear_multiprocess_dir(directory: str) -> None:
    """Figures left by an earlier run would be summed into this one: start from nothing."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    for stale in Path(directory).glob("*.db"):
        stale.unlink()
