"""Who may do what: every access rule, in one place.

Handlers call these before an operation; operations trust their caller.
"""

from workshop.core.errors import NotAllowed


def can_manage_event(account, event):
    """Organizers act only on the events they organise."""
    return bool(account and account.is_authenticated and account.is_organizer and account in event.organizers)


def can_manage_organisations(account):
    """The registry of organisations is shared by every organizer."""
    return bool(account and account.is_authenticated and account.is_organizer)


def can_run_table(account, table):
    """A table is run by its facilitators and by the event's organizers."""
    if not (account and account.is_authenticated):
        return False
    return account in table.facilitators or can_manage_event(account, table.event)


def require(allowed):
    if not allowed:
        raise NotAllowed()
