"""Record life cycles: the transition tables (tables.py), the consequences between records
(consequences.py) and the one engine that applies every move (engine.py).

Importing this package gives the tables; services import `engine` for moves.
"""

from .tables import (
    ACTION,
    COMPLAINT,
    INCIDENT,
    INQUIRY,
    LOT,
    NOTICE,
    RECALL,
    STATEMENT,
    WORKFLOWS,
    Transition,
    Workflow,
    roles_with,
)

__all__ = [
    "ACTION",
    "COMPLAINT",
    "INCIDENT",
    "INQUIRY",
    "LOT",
    "NOTICE",
    "RECALL",
    "STATEMENT",
    "WORKFLOWS",
    "Transition",
    "Workflow",
    "roles_with",
]
