"""What the service-desk rules raise; the app maps them to 422 and 409."""


class DomainError(Exception):
    """The request breaks a rule: it is wrong as asked (422)."""


class ConflictError(Exception):
    """The record's state does not allow this now, e.g. reopening too late (409)."""
