"""Extension points that let other apps take part in a `projects` write without
`projects` importing them. Apps register in their AppConfig.ready()."""
from collections.abc import Callable

# Called before a ticket enters a finished status: (ticket, user) -> list of reasons it may not.
finish_guards: list[Callable] = []
# Called after a ticket entered a finished status, inside the same transaction: (ticket, user).
ticket_finished_handlers: list[Callable] = []


def register_finish_guard(guard: Callable) -> Callable:
    if guard not in finish_guards:
        finish_guards.append(guard)
    return guard


def register_ticket_finished_handler(handler: Callable) -> Callable:
    if handler not in ticket_finished_handlers:
        ticket_finished_handlers.append(handler)
    return handler


def reasons_ticket_may_not_finish(ticket, user) -> list[str]:
    return [reason for guard in finish_guards for reason in guard(ticket, user)]
