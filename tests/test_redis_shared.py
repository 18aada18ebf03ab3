"""Several app processes share their rate limits through Redis, and a session ended in one is
refused by the others (issue 17, point 7). Two real processes (tests/app_process.py) share
nothing but the database and a Redis database of this test's own.

Skipped without a Redis at REDIS_URL (default redis://127.0.0.1:6379); with REQUIRE_REDIS=1
(set by .ci/run) a missing Redis fails the tests instead.
"""

import http.client
import json
import os
import subprocess
import sys
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests import factories
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
LIMIT = "3 per minute"


def _redis_base() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379"


@pytest.fixture
def redis_uri():
    """redis://…/<n>: database 7 (8 for the second xdist worker, …), emptied before and after."""
    import redis

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    number = 7 + int(worker.removeprefix("gw") or 0)
    parts = urllib.parse.urlsplit(_redis_base())
    uri = urllib.parse.urlunsplit(parts._replace(path=f"/{number}"))
    client = redis.Redis.from_url(uri, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as error:
        message = f"no Redis at {_redis_base()} ({error})"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"{message}; REQUIRE_REDIS=1 asks for it (start redis-server)")
        pytest.skip(message)
    client.flushdb()
    yield uri
    client.flushdb()
    client.close()


class Server:
    """An app process on a free port; `request` speaks HTTP to it, keeping no cookies itself."""

    def __init__(self, overrides: dict):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.app_process", json.dumps(overrides)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"the app process did not start (said {line!r})")
        self.port = int(line)

    def request(self, method: str, path: str, form: dict | None = None, cookies: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return response.status, {k: m.value for k, m in jar.items()}

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


@pytest.fixture
def two_servers(app, database_url, tmp_path):
    """Start two app processes with the given rate-limit storage: `start(storage_uri)`."""
    servers: list[Server] = []

    def start(storage_uri: str) -> tuple[Server, Server]:
        overrides = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,  # TestConfig turns it off; these tests are about it
            "RATELIMIT_STORAGE_URI": storage_uri,
            "LOGIN_RATE_LIMIT": LIMIT,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "MAIL_FILE_DIR": str(tmp_path / "mail"),
        }
        for _ in range(2):
            servers.append(Server(overrides))
        return servers[-2], servers[-1]

    yield start
    for server in servers:
        server.stop()


def _wrong_password(server: Server) -> int:
    return server.request("POST", "/auth/login", {"username": "target", "password": "wrong"})[0]


def test_sign_in_attempts_counted_by_one_process_are_seen_by_the_other(app, redis_uri, two_servers):
    factories.make_user(("sales",), username="target")
    first, second = two_servers(redis_uri)
    assert [_wrong_password(first) for _ in range(3)] == [200, 200, 200]
    assert _wrong_password(second) == 429  # the fourth attempt, made at the other process


def test_with_memory_storage_each_process_counts_alone(app, redis_uri, two_servers):
    # The control: the same test without Redis lets the other process take more attempts,
    # so the test above shows the sharing and not some other limit.
    factories.make_user(("sales",), username="target")
    first, second = two_servers("memory://")
    assert [_wrong_password(first) for _ in range(3)] == [200, 200, 200]
    assert _wrong_password(first) == 429
    assert _wrong_password(second) == 200


def test_a_session_signed_out_in_one_process_is_refused_by_the_other(app, redis_uri, two_servers):
    factories.make_user(("sales",), username="pat")
    first, second = two_servers(redis_uri)
    status, cookies = first.request("POST", "/auth/login", {"username": "pat", "password": PASSWORD})
    assert status == 302 and "session" in cookies
    copied = dict(cookies)  # the same cookie, presented to the other process
    assert second.request("GET", "/complaints/", cookies=copied)[0] == 200
    assert first.request("POST", "/auth/logout", {}, cookies=cookies)[0] == 302
    assert second.request("GET", "/complaints/", cookies=copied)[0] == 302  # back to sign-in
    assert first.request("GET", "/complaints/", cookies=copied)[0] == 302
