"""What the access room lends the rest: setting a new password, which a trusted person's approval applies later
exactly as the citizen's own change would."""

from kabinet.flows.access import _password_set as password_set

__all__ = ["password_set"]
