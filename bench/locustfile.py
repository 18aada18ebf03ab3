"""The Locust users of the load bench; bench/load.py runs `locust -f` on this file.

What to request comes from LOTLINE_LOAD_PLAN (JSON written by bench/load.py): the session
cookies of the load users (signed in once through POST /auth/login before the timed run, so
scrypt hashing does not pollute the figures), the think time, and weighted request groups.
Each user sends its next request as soon as the last one answered (think 0, like wrk), so
10 users are 10 requests always in flight. Anything but a 200 is a failure: an expired
session would answer 302 to the sign-in page, which must not count as a served page.
Kept free of app imports: Locust monkey-patches the standard library with gevent.
"""

import itertools
import json
import os
import random

from locust import FastHttpUser, between, constant, task

USER_AGENT = "lotline-load-bench"  # the same as at sign-in: Flask-Login's session protection
PLAN = json.loads(os.environ.get("LOTLINE_LOAD_PLAN", "{}") or "{}")
_REQUESTS = PLAN.get("requests") or [{"name": "bare flask", "paths": ["/healthz"], "weight": 1}]
_WEIGHTS = [r["weight"] for r in _REQUESTS]
_COOKIES = itertools.cycle(PLAN.get("cookies") or [None])
_THINK = float(PLAN.get("think", 0))


class PlantUser(FastHttpUser):
    wait_time = between(0.5 * _THINK, 1.5 * _THINK) if _THINK else constant(0)

    def on_start(self):
        cookie = next(_COOKIES)  # users take the signed-in roles in turn
        self.request_headers = {"User-Agent": USER_AGENT}
        if cookie:
            self.request_headers["Cookie"] = f"session={cookie}"

    @task
    def page(self):
        group = random.choices(_REQUESTS, _WEIGHTS)[0]
        path = random.choice(group["paths"])
        with self.client.get(
            path, name=group["name"], headers=self.request_headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
