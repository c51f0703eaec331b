"""Locust load for one route at a time, chosen by environment variables set by `bench.run`.

BENCH_PATH    the path to request (default "/")
BENCH_EXPECT  text the response body must contain (optional)

Every user asks again as soon as the last answer arrives (no think time): the aim is throughput.
"""

from __future__ import annotations

import os

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/")
EXPECT = os.environ.get("BENCH_EXPECT", "")


class RouteUser(FastHttpUser):
    """Requests BENCH_PATH in a tight loop; anything but a 200 with the expected text is a failure."""

    wait_time = constant(0)

    @task
    def get_route(self) -> None:
        """One GET of the route under test."""
        with self.client.get(PATH, name=PATH, allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif EXPECT and EXPECT not in (response.text or ""):
                response.failure(f"body lacks {EXPECT!r}")
            else:
                response.success()
