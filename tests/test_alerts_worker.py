"""The alert worker against a real SMTP server (aiosmtpd): delivery, outages, crashes, refusals."""

import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.alerts.outbox import queue_email, resend
from app.alerts.worker import ATTACHMENT_BUILDERS, Worker, attachment_builder, backoff_seconds
from app.extensions import db
from app.models import AlertRule, OutboxMessage
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def queue(n, prefix="user", **kwargs):
    rows = [
        queue_email(f"{prefix}{i}@example.com", f"Message {i}", f"Body {i}", f"<p>Body {i}</p>", event="test", **kwargs)
        for i in range(n)
    ]
    db.session.commit()
    return rows


def rows():
    db.session.expire_all()
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def rows_once(condition, timeout: float = 10.0):
    """The outbox rows as soon as `condition(rows)` holds (or the last read after `timeout`):
    a worker thread on a loaded machine takes its time."""
    deadline = time.monotonic() + timeout
    while True:
        current = rows()
        if condition(current) or time.monotonic() > deadline:
            return current
        time.sleep(0.05)


class WorkerThread:
    """A worker polling in a thread (its own app context and session), stopped on exit."""

    def __init__(self, app):
        self.app = app
        self.worker = Worker(app)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        with self.app.app_context():
            self.worker.run_forever()
            db.session.remove()

    def __enter__(self):
        self.thread.start()
        return self.worker

    def __exit__(self, *exc):
        self.worker.stop()
        self.thread.join(10)


def test_alert_email_reaches_the_smtp_server_with_its_content(mail_app, smtp_server):
    factories.make_user(("production",), email="prod@example.com")
    db.session.add(AlertRule(name="all", event="complaint.logged", roles="production", enabled=True))
    db.session.commit()
    complaint = factories.make_complaint(injury=True, description="Child cut her lip on a shard.")
    row = rows()[0]

    tally = Worker(mail_app).run_once()

    assert tally.sent == 1
    assert smtp_server.wait_for(1)
    message = smtp_server.messages[0]
    assert smtp_server.sink.envelopes[0].rcpt_tos == ["prod@example.com"]
    assert message["To"] == "prod@example.com"
    assert message["From"] == mail_app.config["MAIL_DEFAULT_SENDER"]
    assert message["Message-ID"] == row.message_id
    assert message["Subject"].startswith("[Lotline] HIGH PRIORITY: Complaint " + complaint.reference)
    assert message["X-Priority"].startswith("1")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Child cut her lip on a shard." in text and "Injury or illness: YES" in text
    assert f"http://127.0.0.1:5000/complaints/{complaint.id}" in text
    assert f'href="http://127.0.0.1:5000/complaints/{complaint.id}"' in html
    sent = rows()[0]
    assert sent.status == "sent" and sent.attempts == 1 and sent.transport == "smtp" and sent.sent_at


def test_server_down_then_back_delivers_every_message(mail_app, smtp_server):
    queued = queue(10)
    ids = {r.message_id for r in queued}
    smtp_server.stop()
    with WorkerThread(mail_app):
        # The worker tries, finds the server down and puts the rows back with the reason.
        waiting = rows_once(lambda rs: any("unreachable" in (r.last_error or "") for r in rs))
        assert all(r.status in ("pending", "sending") for r in waiting)
        assert any("unreachable" in (r.last_error or "") for r in waiting)
        time.sleep(0.3)  # a few more failed connection attempts while the server is down
        assert all(r.attempts == 0 for r in rows()), "an outage must not use up the messages' attempts"
        smtp_server.start()
        assert smtp_server.wait_for(10)
    assert sorted(smtp_server.sink.message_ids()) == sorted(ids)
    assert {r.status for r in rows()} == {"sent"}


def test_refused_recipient_fails_after_its_attempts_and_others_are_delivered(make_app, smtp_server, tmp_path):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, ALERT_MAX_ATTEMPTS=3)
    with app.app_context():
        smtp_server.sink.refuse = {"refused@example.com"}
        good1 = queue_email("a@example.com", "one", "1", event="test")
        bad = queue_email("refused@example.com", "two", "2", event="test")
        good2 = queue_email("b@example.com", "three", "3", event="test")
        db.session.commit()
        worker = Worker(app)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            worker.run_once()
            if db.session.get(OutboxMessage, bad.id).status == "failed":
                break
            time.sleep(0.05)
        states = {r.to_address: r for r in rows()}
        assert states["refused@example.com"].status == "failed"
        assert states["refused@example.com"].attempts == 3
        assert "550" in states["refused@example.com"].last_error
        assert states["a@example.com"].status == states["b@example.com"].status == "sent"
        assert sorted(smtp_server.sink.message_ids()) == sorted([good1.message_id, good2.message_id])

        # Resending puts it back with fresh attempts and the same Message-ID.
        smtp_server.sink.refuse = set()
        actor = factories.make_user(("admin",))
        assert resend([bad.id], actor) == 1
        db.session.commit()
        worker.run_once()
        assert db.session.get(OutboxMessage, bad.id).status == "sent"
        assert smtp_server.sink.message_ids()[-1] == bad.message_id


def test_backoff_grows_and_is_jittered():
    delays = [backoff_seconds(n, 30, 3600) for n in (1, 2, 3, 4)]
    assert 15 <= delays[0] <= 30 and 30 <= delays[1] <= 60 and 60 <= delays[2] <= 120 and 120 <= delays[3] <= 240
    assert backoff_seconds(20, 30, 3600) <= 3600
    assert len({backoff_seconds(3, 30, 3600) for _ in range(20)}) > 1


def test_attachments_are_built_at_send_time(mail_app, smtp_server):
    @attachment_builder("test_letter")
    def build(ref):
        return f"letter-{ref}.pdf", "application/pdf", b"%PDF-1.4 test " + str(ref).encode()

    try:
        queue_email(
            "x@example.com",
            "Letter",
            "See the attached letter.",
            event="test",
            attachments=[{"kind": "test_letter", "ref": 7}],
        )
        queue_email("y@example.com", "Broken", "No builder.", event="test", attachments=[{"kind": "nope", "ref": 1}])
        db.session.commit()
        # A retry a minute later, not the tests' 50 ms: on a busy machine run_once would
        # otherwise take the broken row a second time before it returns.
        mail_app.config["ALERT_RETRY_BASE_SECONDS"] = 60
        Worker(mail_app).run_once()
        assert smtp_server.wait_for(1)
        message = smtp_server.messages[0]
        (part,) = list(message.iter_attachments())
        assert part.get_filename() == "letter-7.pdf"
        assert part.get_content() == b"%PDF-1.4 test 7"
        broken = [r for r in rows() if r.to_address == "y@example.com"][0]
        assert broken.status == "pending" and broken.attempts == 1 and "no attachment builder" in broken.last_error
    finally:
        ATTACHMENT_BUILDERS.pop("test_letter", None)


def test_without_mail_server_messages_are_written_as_eml_files(make_app, tmp_path):
    app = make_app(MAIL_SERVER="", MAIL_FILE_DIR=tmp_path / "mail")
    with app.app_context():
        (row,) = queue(1)
        tally = Worker(app).run_once()
        assert tally.sent == 1
        files = list((tmp_path / "mail").glob("*.eml"))
        assert len(files) == 1
        parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
        assert parsed["Message-ID"] == row.message_id and parsed["To"] == "user0@example.com"
        assert rows()[0].transport == "file"


def _worker_process(database_url, port, tmp_path, **env):
    environment = {
        **os.environ,
        "FLASK_APP": "wsgi.py",
        "LOTLINE_CONFIG": "development",
        "DATABASE_URL": database_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "LOTLINE_INSTANCE_DIR": str(tmp_path / "instance"),
        "ALERT_POLL_SECONDS": "0.05",
        "ALERT_RETRY_BASE_SECONDS": "0.05",
        "ALERT_RETRY_MAX_SECONDS": "0.2",
        **env,
    }
    return subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "flask", "alerts", "worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_worker_killed_mid_batch_loses_nothing(app, database_url, smtp_server, tmp_path):
    queued = queue(30)
    wanted = {r.message_id for r in queued}
    smtp_server.sink.delay = 0.05
    process = _worker_process(database_url, smtp_server.port, tmp_path, ALERT_LEASE_SECONDS="1")
    try:
        assert smtp_server.wait_for(5, timeout=30), process.stderr.read() if process.poll() is not None else ""
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    delivered_before = len(smtp_server.messages)
    assert delivered_before < 30, "the worker must be killed mid-batch"
    stuck = [r for r in rows() if r.status == "sending"]
    assert stuck, "the killed worker held claimed rows"

    smtp_server.sink.delay = 0
    time.sleep(1.1)  # the dead worker's lease runs out
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    Worker(app).run_once()

    received = smtp_server.sink.message_ids()
    assert set(received) == wanted
    assert {r.status for r in rows()} == {"sent"}
    # At least once: only messages sent but not yet recorded (a group) may arrive twice.
    assert len(received) - len(wanted) <= app.config["ALERT_MARK_EVERY"]


def test_two_workers_never_send_one_message_twice(app, database_url, smtp_server, tmp_path):
    smtp_server.sink.delay = 0.005
    workers = [_worker_process(database_url, smtp_server.port, tmp_path, ALERT_BATCH_SIZE="5") for _ in range(2)]
    try:
        for process in workers:  # both are polling before the first message is queued
            assert "Alert worker" in process.stderr.readline()
        queued = queue(200)
        assert smtp_server.wait_for(200, timeout=60)
        time.sleep(0.3)  # anything sent twice would arrive now
    finally:
        outputs = []
        for process in workers:
            process.send_signal(signal.SIGTERM)
            outputs.append(process.communicate(timeout=15)[1])
    received = smtp_server.sink.message_ids()
    assert len(received) == 200 and set(received) == {r.message_id for r in queued}
    sent_counts = [int(out.rsplit("stopped: ", 1)[1].split(" sent")[0]) for out in outputs]
    assert sum(sent_counts) == 200
    assert all(count > 0 for count in sent_counts), f"both workers should have sent some: {sent_counts}"


def test_send_once_command(runner, smtp_server, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port)
    queue(3)
    result = runner.invoke(args=["alerts", "send", "--once"])
    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output
    assert len(smtp_server.messages) == 3


@pytest.mark.parametrize("command", [["alerts", "install-defaults"]])
def test_install_defaults_command(runner, command):
    first = runner.invoke(args=command)
    assert "default alert rules added" in first.output
    again = runner.invoke(args=command)
    assert "nothing added" in again.output


def test_a_claim_takes_at_most_its_batch_and_leases_it(app):
    queue(12)
    worker = Worker(app)
    first = worker.claim(5)
    second = worker.claim(5)
    assert len(first) == 5 and len(second) == 5 and not set(first) & set(second)
    claimed = [r for r in rows() if r.status == "sending"]
    assert len(claimed) == 10 and {r.claimed_by for r in claimed} == {worker.id}
    assert len(Worker(app).claim(50)) == 2
