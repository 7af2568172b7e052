"""What the account room lends the rest: opening a support request (a recovery by identity data needs a person
to look) and showing one (the service centre answers them)."""

from kabinet.flows.account._requests import RequestView, open_request, views

__all__ = ["RequestView", "open_request", "views"]
