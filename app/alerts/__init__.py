"""Alerts: events → rules → outbox rows (same transaction) → the SMTP worker.

`catalogue` describes each event, `dispatch` turns an event into alerts and outbox rows,
`outbox` writes and resends rows, `worker` sends them, `due` raises the time-based events.
"""
