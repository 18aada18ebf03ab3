"""Imports started from the web: the upload saved to disk, a background thread, a JSON status file.

The status file (`<import dir>/<job id>.json`) is the only link between the thread and the
job page, so the page works from any worker process; it is replaced atomically, so a
reader never sees half a file.
"""

import json
import os
import re
import threading
import time
import uuid
from pathlib import Path

from flask import Flask, current_app
from werkzeug.datastructures import FileStorage

from config import INSTANCE_DIR

from ..csv_import import ImportResult
from ..extensions import db
from ..models import User
from .services import run_import

_JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
STALE_AFTER = 600  # seconds without news from a running job: its process has probably gone
_SAVE_EVERY = 1.0  # seconds between progress writes


def import_dir(create: bool = False) -> Path:
    """Where uploads and status files live: IMPORT_DIR, or instance/imports."""
    configured = current_app.config.get("IMPORT_DIR")
    path = Path(configured) if configured else INSTANCE_DIR / "imports"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


class JobStatus:
    """The status file of one job, written by the thread that runs it."""

    def __init__(self, directory: Path, status: dict):
        self.path = directory / f"{status['id']}.json"
        self.status = status
        self._saved = 0.0

    def save(self) -> None:
        self.status["updated"] = time.time()
        tmp = self.path.with_name(f"{self.path.stem}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(self.status), encoding="utf-8")
        os.replace(tmp, self.path)
        self._saved = time.monotonic()

    def progress(self, rows: int, bytes_done: int, bytes_total: int | None) -> None:
        self.status.update(rows=rows, bytes_done=bytes_done, bytes_total=bytes_total)
        if time.monotonic() - self._saved >= _SAVE_EVERY:
            self.save()

    def finish(self, result: ImportResult) -> None:
        self.status.update(
            state="done" if result.ok else "refused",
            finished=time.time(),
            result={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "errors": result.errors,
            },
        )
        self.save()

    def fail(self, message: str) -> None:
        self.status.update(state="failed", finished=time.time(), message=message)
        self.save()


def run(app: Flask, directory: Path, status: dict) -> None:
    """Run one job to the end in its own app context (and so its own session); commit if good."""
    job = JobStatus(directory, status)
    with app.app_context():
        try:
            actor = db.session.get(User, status["user_id"])
            result = run_import(
                status["kind"], directory / f"{status['id']}.csv", actor, progress=job.progress, name=status["file"]
            )
            if result.ok:
                db.session.commit()
            job.finish(result)
        except Exception:
            db.session.rollback()
            app.logger.exception("Import job %s failed", status["id"])
            job.fail("The import stopped on an unexpected error; nothing was imported. The error was logged.")
        finally:
            db.session.remove()


def start(kind: str, upload: FileStorage, actor) -> str:
    """Save the upload, record the job as running, run it (in a thread unless IMPORTS_SYNC); return its id."""
    job_id = str(uuid.uuid4())
    directory = import_dir(create=True)
    upload.save(directory / f"{job_id}.csv")
    now = time.time()
    status = {
        "id": job_id,
        "kind": kind,
        "file": Path(upload.filename or "upload.csv").name[:200],
        "user_id": actor.id,
        "user": actor.name,
        "state": "running",
        "rows": 0,
        "bytes_done": 0,
        "bytes_total": None,
        "started": now,
    }
    JobStatus(directory, status).save()
    app = current_app._get_current_object()
    if app.config.get("IMPORTS_SYNC"):
        run(app, directory, status)  # tests: deterministic, finished when the response is sent
    else:
        threading.Thread(target=run, args=(app, directory, status), name=f"import-{job_id}", daemon=True).start()
    return job_id


def load(job_id: str) -> dict | None:
    """The status of a job, or None if the id is not a job id we issued or no such job exists."""
    if not _JOB_ID.fullmatch(job_id):
        return None
    try:
        status = json.loads((import_dir() / f"{job_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if status.get("state") == "running" and time.time() - status.get("updated", 0) > STALE_AFTER:
        status["state"] = "stalled"
    return status
