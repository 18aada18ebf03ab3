"""The audit bench (`make bench BENCH_ARGS="--only audit"`) on a chain of a few thousand events:
it fills, reuses and verifies its own database and reports against its bounds."""

from bench import audit, database


def test_audit_bench_fills_verifies_and_reuses_its_database(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "BENCH_DIR", tmp_path)
    lines = []
    (first,) = audit.run([("sqlite", None)], 2_500, lines.append)
    assert first["ok"] and first["events"] == 2_500 and first["fill_s"] is not None
    assert first["head_event"] == 2_500 and first["problems"] == []
    # the bounds are the bench's to judge, not the suite's (no timing asserted here)
    slow = {**first, "verify_s_per_million": first["target_s_per_million"] + 1}
    assert any("per million events >" in line for line in audit.missed(slow))
    assert any("appending 2,500 audit events" in line for line in lines)

    (again,) = audit.run([("sqlite", None)], 2_500, lines.append)
    assert again["fill_s"] is None and again["ok"]  # reused, and the checkpoint of the first run agrees
    assert audit.rows([again])[0][-1] == "yes"
