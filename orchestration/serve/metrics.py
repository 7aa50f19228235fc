"""Prometheus text for ``GET /metrics``: requests by route and status, a latency
histogram by route, and policy decisions. Kept in process (one server per lake)."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self):
        self._lock = threading.Lock()
        self.requests: Counter = Counter()
        self.decisions: Counter = Counter()
        self.latency_buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self.latency_sum: Counter = Counter()
        self.latency_count: Counter = Counter()

    def request(self, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(route, status)] += 1
            buckets = self.latency_buckets[route]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self.latency_sum[route] += seconds
            self.latency_count[route] += 1

    def decision(self, decision: str) -> None:
        with self._lock:
            self.decisions[decision] += 1

    def render(self) -> str:
        with self._lock:
            lines = ["# HELP eduhouse_requests_total HTTP requests by route and status.",
                     "# TYPE eduhouse_requests_total counter"]
            lines += [f'eduhouse_requests_total{{route="{r}",status="{s}"}} {n}'
                      for (r, s), n in sorted(self.requests.items())]
            lines += ["# HELP eduhouse_request_seconds Request latency by route.",
                      "# TYPE eduhouse_request_seconds histogram"]
            for route in sorted(self.latency_count):
                for bound, n in zip(BUCKETS, self.latency_buckets[route], strict=True):
                    lines.append(f'eduhouse_request_seconds_bucket{{route="{route}",le="{bound}"}} {n}')
                lines.append(f'eduhouse_request_seconds_bucket{{route="{route}",le="+Inf"}} {self.latency_count[route]}')
                lines.append(f'eduhouse_request_seconds_sum{{route="{route}"}} {self.latency_sum[route]:.6f}')
                lines.append(f'eduhouse_request_seconds_count{{route="{route}"}} {self.latency_count[route]}')
            lines += ["# HELP eduhouse_policy_decisions_total Access decisions recorded in the access log.",
                      "# TYPE eduhouse_policy_decisions_total counter"]
            lines += [f'eduhouse_policy_decisions_total{{decision="{d}"}} {n}' for d, n in sorted(self.decisions.items())]
            return "\n".join(lines) + "\n"


class TimedRequests:
    """ASGI middleware: request counts and latencies by route and status; API errors as JSON."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def timed_send(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.metrics.request(path, status["code"], time.perf_counter() - started)
