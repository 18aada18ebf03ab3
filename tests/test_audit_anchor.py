"""The anchored audit trail (issue 17, point 1): a keyed chain and checkpoints outside the
database. Each test tampers with the real database (SQLite, or PostgreSQL with
TEST_DATABASE_URL) the way someone with database access but not AUDIT_KEY could, and expects
`flask audit verify` to fail, naming what happened."""

import hashlib
import hmac
import io
import json
import secrets

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app import create_app
from app.alerts.worker import Worker
from app.audit.checkpoints import CHECKPOINT_EVENT, read_checkpoints, write_checkpoint
from app.audit.seal import GENESIS_HASH, event_payload
from app.audit.verify import verify_chain
from app.extensions import db
from app.incidents.report_data import incident_report_data
from app.models import AuditEvent, Incident, OutboxMessage
from app.recalls.report_data import recall_report_data
from app.reports import build_incident_report
from app.reports.recall import build_recall_report, build_status_report
from config import ProdConfig
from tests import factories


def ids() -> list[int]:
    return list(db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)))


def some_history(complaints: int = 4) -> None:
    for _ in range(complaints):
        factories.triage(factories.make_complaint())


def checkpointed(runner) -> list[int]:
    """History, a checkpoint of it (as the worker writes every few minutes), its event ids."""
    some_history()
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "Checkpoint written" in result.output
    return ids()


def run(sql: str, **params) -> None:
    db.session.execute(sa.text(sql), params)
    db.session.commit()


def verify(runner):
    db.session.expire_all()
    return runner.invoke(args=["audit", "verify"])


def rehash_from(first_id: int, seal) -> None:
    """Recompute prev_hash and hash of every event from `first_id` on with `seal`, as an
    intruder with the repository (but not AUDIT_KEY) would after an edit."""
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    prev = GENESIS_HASH
    for event in events:
        if event.id >= first_id:
            event.prev_hash = prev
            event.hash = seal(event_payload(event))
        prev = event.hash
    db.session.commit()


def test_a_checkpointed_untouched_chain_verifies(runner):
    checkpointed(runner)
    some_history(1)  # newer than the checkpoint: fine

    result = verify(runner)

    assert result.exit_code == 0, result.output
    assert f"OK: {len(ids())} audit events verified." in result.output
    assert "1 checkpoint(s) agree" in result.output


def test_1_an_edited_event_is_named(runner):
    chain = checkpointed(runner)
    middle = chain[len(chain) // 2]
    run("UPDATE audit_events SET actor_name = 'Mallory' WHERE id = :id", id=middle)

    result = verify(runner)

    assert result.exit_code == 1
    assert f"BROKEN at audit event #{middle}: its content does not match its hash" in result.output


def test_2_deleting_the_first_event_breaks_the_second_link(runner):
    chain = checkpointed(runner)
    run("DELETE FROM audit_events WHERE id = :id", id=chain[0])

    result = verify(runner)

    assert result.exit_code == 1
    assert f"BROKEN at audit event #{chain[1]}: its link to the previous event is broken" in result.output
    # and the checkpoint no longer agrees: the newest event is one place earlier in the chain
    assert "does not agree with the checkpoint" in result.output


@pytest.mark.parametrize("deleted", [1, 5])
def test_3_4_deleting_the_newest_events_is_a_missing_tail(runner, deleted):
    chain = checkpointed(runner)
    run("DELETE FROM audit_events WHERE id >= :id", id=chain[-deleted])

    result = verify(runner)

    assert result.exit_code == 1
    assert "BROKEN: missing tail" in result.output
    assert f"recorded {len(chain)} events up to #{chain[-1]}" in result.output
    assert f"the chain now ends at event #{chain[-deleted - 1]} ({len(chain) - deleted} events)" in result.output


def test_5_deleting_every_event_is_a_missing_tail(runner):
    chain = checkpointed(runner)
    run("DELETE FROM audit_events")

    result = verify(runner)

    assert result.exit_code == 1
    assert f"recorded {len(chain)} events up to #{chain[-1]}; the chain is empty" in result.output


def test_5b_deleting_the_newest_events_and_adding_new_ones_is_caught(runner):
    """Cutting the tail and letting the app write on hides nothing: the checkpoint's event is gone."""
    chain = checkpointed(runner)
    run("DELETE FROM audit_events WHERE id >= :id", id=chain[-3])
    some_history(1)  # on SQLite the new events may even take the freed ids

    result = verify(runner)

    assert result.exit_code == 1
    assert f"#{chain[-1]}" in result.output


@pytest.mark.parametrize(
    "seal",
    [
        pytest.param(lambda payload: hashlib.sha256(payload).hexdigest(), id="unkeyed-sha256"),
        pytest.param(lambda payload: hmac.new(b"a guessed key", payload, hashlib.sha256).hexdigest(), id="other-key"),
    ],
)
def test_6_an_edit_with_every_hash_recomputed_is_a_rehashed_chain(runner, seal):
    chain = checkpointed(runner)
    middle = chain[len(chain) // 2]
    run("UPDATE audit_events SET action = 'viewed' WHERE id = :id", id=middle)
    rehash_from(middle, seal)

    result = verify(runner)

    assert result.exit_code == 1
    assert f"BROKEN at audit event #{middle}: it and the {len(chain) - chain.index(middle) - 1} events after it" in (
        result.output
    )
    assert "the chain was rehashed from there" in result.output


def test_6b_a_full_rehash_that_also_truncates_is_caught_twice(runner):
    chain = checkpointed(runner)
    run("DELETE FROM audit_events WHERE id >= :id", id=chain[-2])
    rehash_from(chain[0], lambda payload: hashlib.sha256(payload).hexdigest())

    result = verify(runner).output

    assert f"BROKEN at audit event #{chain[0]}" in result and "rehashed" in result
    assert "missing tail" in result


def test_an_edited_or_forged_checkpoint_line_is_reported(runner, app):
    checkpointed(runner)
    path = app.config["AUDIT_CHECKPOINT_FILE"]
    line = json.loads(path.read_text().splitlines()[0])
    path.write_text(json.dumps({**line, "count": line["count"] - 1}) + "\n")
    with path.open("a") as file:
        file.write(json.dumps({**line, "key_id": "0123456789abcdef"}) + "\n")
        file.write("not json\n")

    result = verify(runner)

    assert result.exit_code == 1
    assert "line 1 of" in result.output and "does not match its seal (the checkpoint was edited)" in result.output
    assert "line 2 of" in result.output and "sealed under another AUDIT_KEY" in result.output
    assert "line 3 of" in result.output and "is not a checkpoint" in result.output


def test_verify_under_another_key_says_the_key_differs(make_app):
    app = make_app()
    with app.app_context():
        some_history(1)
        write_checkpoint("command")
    other = make_app(
        AUDIT_KEY="not-the-key-the-chain-was-sealed-with", AUDIT_CHECKPOINT_FILE=app.config["AUDIT_CHECKPOINT_FILE"]
    )
    with other.app_context():
        result = verify_chain()
    assert not result.ok
    assert any("sealed under another AUDIT_KEY" in problem for problem in result.problems)
    assert "rehashed" in result.reason  # every event's seal fails under the wrong key


def test_what_verify_cannot_see_events_deleted_after_the_newest_checkpoint(runner):
    """The documented limit (README, Security): events written after the newest checkpoint
    and deleted before the next one leave no trace in the database or the file."""
    checkpointed(runner)
    some_history(1)
    run("DELETE FROM audit_events WHERE id > :id", id=read_checkpoints()[0][-1].last_id)

    assert verify(runner).exit_code == 0


def test_without_checkpoints_verify_says_what_it_cannot_check(runner):
    some_history(1)
    output = verify(runner).output
    assert "OK:" in output and "No checkpoint of this database was found" in output


def test_checkpoints_of_another_database_are_not_compared(runner, app):
    checkpointed(runner)
    path = app.config["AUDIT_CHECKPOINT_FILE"]
    line = json.loads(path.read_text())
    line["database"] = "sqlite:////elsewhere/lotline.db"
    path.write_text(json.dumps(line) + "\n")  # its seal no longer matters: it is not ours
    run("DELETE FROM audit_events")
    assert verify(runner).exit_code == 0


def test_the_worker_writes_a_checkpoint_when_the_chain_grew(app):
    some_history(1)
    worker = Worker(app)
    worker.checkpoint_audit(force=True)
    worker.checkpoint_audit(force=True)  # nothing new: no second line
    assert len(read_checkpoints()[0]) == 1
    some_history(1)
    worker.checkpoint_audit(force=True)
    points, problems = read_checkpoints()
    assert problems == [] and [p.source for p in points] == ["worker", "worker"]
    assert points[-1].last_id == ids()[-1] and points[-1].count == len(ids())


def test_checkpoints_are_emailed_at_most_once_per_period(make_app):
    app = make_app(AUDIT_CHECKPOINT_EMAIL="auditor@example.org", AUDIT_CHECKPOINT_EMAIL_HOURS=24)
    with app.app_context():
        some_history(1)
        worker = Worker(app)
        worker.checkpoint_audit(force=True)
        some_history(1)
        worker.checkpoint_audit(force=True)
        emails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.event == CHECKPOINT_EVENT)).all()
        assert len(emails) == 1
        assert emails[0].to_address == "auditor@example.org"
        assert read_checkpoints()[0][0].head in emails[0].body_text


def test_production_refuses_a_missing_weak_or_shared_audit_key(monkeypatch):
    secret = secrets.token_hex(32)
    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app(ProdConfig)
    monkeypatch.setenv("AUDIT_KEY", "b" * 40)
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app(ProdConfig)
    monkeypatch.setenv("AUDIT_KEY", secret)
    with pytest.raises(RuntimeError, match="AUDIT_KEY must differ"):
        create_app(ProdConfig)
    monkeypatch.setenv("AUDIT_KEY", secrets.token_hex(32))
    create_app(ProdConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_every_pdf_report_prints_the_chain_head_under_its_manifest(app):
    """Paper that a later truncation contradicts: the newest event and its seal at printing."""
    recall = factories.make_recall()
    incident = db.session.get(Incident, recall.incident_id)
    newest = db.session.execute(sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc())).first()
    printed = f"Audit trail at printing: the newest event #{newest.id}, sealed {newest.hash}."
    reports = {
        "incident": build_incident_report(incident_report_data(incident)),
        "recall": build_recall_report(recall_report_data(recall)),
        "status": build_status_report(recall_report_data(recall, with_timeline=False)),
    }
    for name, pdf in reports.items():
        assert printed in pdf_text(pdf), name
