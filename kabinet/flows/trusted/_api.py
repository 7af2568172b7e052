"""What the trusted person's room lends the rest: a password change and a recovery ask the trusted person through
it (``trusted.current``/``trusted.ask``), and the edge shows what either side sees of a request."""

from kabinet.flows.trusted import _links as trusted
from kabinet.flows.trusted._links import ACTIONS, ApprovalView, LinkView, approval_view

__all__ = ["ACTIONS", "ApprovalView", "LinkView", "approval_view", "trusted"]
