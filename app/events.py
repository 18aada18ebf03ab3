"""Domain events raised by services (alerts subscribe to them).

Handlers run inside the service's transaction, so whatever they write (an outbox row)
commits or rolls back together with the change that raised the event.
"""

from blinker import Namespace

_signals = Namespace()


def emit(event: str, record, actor=None, **data) -> None:
    """Raise `event` about `record`; every connected handler is called synchronously."""
    _signals.signal(event).send(record, actor=actor, **data)


def subscribe(event: str, handler) -> None:
    _signals.signal(event).connect(handler, weak=False)
