"""One Lotline app server in a process of its own, for tests that need two processes sharing
nothing but the database and Redis (tests/test_redis_shared.py).

    python -m tests.app_process '{"SQLALCHEMY_DATABASE_URI": "...", "RATELIMIT_STORAGE_URI": "redis://..."}'

prints the port it serves on, then serves until killed.
"""

import json
import sys

from werkzeug.serving import make_server

from app import create_app
from config import TestConfig


def main() -> None:
    app = create_app(TestConfig, json.loads(sys.argv[1]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
