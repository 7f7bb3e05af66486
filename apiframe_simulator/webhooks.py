"""Webhook deliveries: signed JSON POSTs from background threads, a few quick retries, no more.

Each job's events go through the same worker, so they arrive in order unless a scripted
`webhook_reorder` fault holds one back until the job's next event has gone.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .contract import sign
from .faults import FaultPlan

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0
RETRIES = 2
RETRY_DELAY_SECONDS = 0.25
# How long a reordered event waits for its job's next event before it goes anyway.
REORDER_HOLD_SECONDS = 2.0

# Told the outcome of each delivery: (job id, "delivered" | "failed").
ResultSink = Callable[[str, str], None]


@dataclass(frozen=True)
class Delivery:
    job_id: str
    url: str
    event: str
    body: bytes
    signature: str


class WebhookSender:
    def __init__(
        self, api_key: str, faults: FaultPlan, on_result: ResultSink, workers: int = 4
    ) -> None:
        self._api_key = api_key
        self._faults = faults
        self._on_result = on_result
        self._stopping = threading.Event()
        self._queues: list[queue.Queue[Delivery | None]] = [queue.Queue() for _ in range(workers)]
        self._threads = [
            threading.Thread(target=self._work, args=(q,), name=f"simulator-hook-{n}", daemon=True)
            for n, q in enumerate(self._queues)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def send(self, job_id: str, url: str, event: str, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        delivery = Delivery(job_id, url, event, body, sign(body, self._api_key))
        self._queues[zlib.crc32(job_id.encode()) % len(self._queues)].put(delivery)

    def stop(self, timeout: float = 3.0) -> None:
        self._stopping.set()
        for pending in self._queues:
            pending.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def _work(self, pending: queue.Queue[Delivery | None]) -> None:
        held: dict[str, tuple[Delivery, float]] = {}
        with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as http:
            while not self._stopping.is_set():
                try:
                    delivery = pending.get(timeout=REORDER_HOLD_SECONDS if held else None)
                except queue.Empty:
                    delivery = None
                    if self._stopping.is_set():
                        break
                else:
                    if delivery is None:
                        break
                    self._handle(http, delivery, held)
                self._release_stale(http, held)

    def _handle(
        self, http: httpx.Client, delivery: Delivery, held: dict[str, tuple[Delivery, float]]
    ) -> None:
        fault = self._faults.next_for("webhook")
        kind = fault.kind if fault else None
        if kind == "webhook_reorder" and delivery.job_id not in held:
            held[delivery.job_id] = (delivery, time.monotonic())
            return
        if kind == "webhook_drop":
            log.info("Dropping webhook %s for job %s (fault)", delivery.event, delivery.job_id)
            self._on_result(delivery.job_id, "failed")
        else:
            self._deliver(http, delivery)
            if kind == "webhook_duplicate":
                self._deliver(http, delivery)
        if delivery.job_id in held:
            self._deliver(http, held.pop(delivery.job_id)[0])

    def _release_stale(self, http: httpx.Client, held: dict[str, tuple[Delivery, float]]) -> None:
        now = time.monotonic()
        for job_id, (delivery, since) in list(held.items()):
            if now - since >= REORDER_HOLD_SECONDS:
                del held[job_id]
                self._deliver(http, delivery)

    def _deliver(self, http: httpx.Client, delivery: Delivery) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Webhook-Event": delivery.event,
            "X-Webhook-Signature": delivery.signature,
            "User-Agent": "apiframe-simulator-webhooks/1",
        }
        for attempt in range(RETRIES + 1):
            if attempt and self._stopping.wait(RETRY_DELAY_SECONDS * 2 ** (attempt - 1)):
                return
            try:
                response = http.post(delivery.url, content=delivery.body, headers=headers)
            except httpx.HTTPError as exc:
                log.info("Webhook to %s failed: %s", delivery.url, type(exc).__name__)
                continue
            if response.is_success:
                self._on_result(delivery.job_id, "delivered")
                return
            log.info("Webhook to %s answered %s", delivery.url, response.status_code)
        self._on_result(delivery.job_id, "failed")
