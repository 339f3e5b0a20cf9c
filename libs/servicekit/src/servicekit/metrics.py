"""Prometheus metrics of the shared runtime; `/metrics` exposes them with the service's own."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUEST_LATENCY = Histogram(
    "crm_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge(
    "crm_outbox_backlog", "Outbox rows not yet acknowledged by the broker.", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "crm_outbox_published_total", "Events the broker acknowledged.", ["service"]
)
OUTBOX_FAILURES = Counter(
    "crm_outbox_publish_failures_total", "Publish attempts that failed.", ["service"]
)
CONSUMER_APPLIED = Counter(
    "crm_consumer_applied_total", "Events applied by a consumer.", ["consumer", "type"]
)
CONSUMER_DUPLICATES = Counter(
    "crm_consumer_duplicates_total", "Redelivered events skipped by the inbox.", ["consumer"]
)
CONSUMER_LAG = Gauge(
    "crm_consumer_lag", "Messages behind the high watermark.", ["consumer", "topic", "partition"]
)
CONSUMER_DLQ = Counter(
    "crm_consumer_dead_letters_total", "Events sent to the dead-letter topic.", ["consumer"]
)
SEQUENCE_ANOMALIES = Counter(
    "crm_consumer_sequence_anomalies_total",
    "Events whose aggregate sequence skipped ahead (gap) or went back (out_of_order).",
    ["consumer", "kind"],
)
JOB_RUNS = Counter("crm_job_runs_total", "Scheduled job runs by outcome.", ["job", "outcome"])
OUTBOX_BROKER_LOSSES = Counter(
    "crm_outbox_broker_losses_total",
    "Times the broker was found missing events the outbox had published (then republished).",
    ["service"],
)
