"""What the contacts room lends the rest: the service centre adds, verifies and unlinks contacts through the same
engine as the cabinet (one implementation of DESIGN.md §4, not two), and the edge shows a removal's result.

Other rooms import this module only; the engine's modules (``_new_contacts``, ``_contact_state``, ``_removal``)
stay the room's own (tests/unit/test_import_graph.py)."""

from kabinet.flows.contacts import _new_contacts as new_contacts
from kabinet.flows.contacts._contact_state import pending_contact, retire
from kabinet.flows.contacts._removal import CheckView, Removed, remove

__all__ = ["CheckView", "Removed", "new_contacts", "pending_contact", "remove", "retire"]
