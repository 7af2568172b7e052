"""Self-service flows, one module per flow, grouped in rooms by capability (``access``, ``contacts``,
``recovery``, ``account``, ``centre``) over ``shared`` machinery that imports none of them.

Importing the package registers every confirm handler (a challenge's purpose → what confirming it does);
``bootstrap`` imports it and checks that every purpose of ``shared.purposes`` has one (``check_wiring``)."""

from kabinet.flows.access import registration, sign_in, step_up, totp  # noqa: F401
from kabinet.flows.centre import complete_recovery, operators, replace_phone  # noqa: F401
from kabinet.flows.contacts import add_phone, change_contact, remove_contact  # noqa: F401
from kabinet.flows.recovery import password_reset  # noqa: F401
from kabinet.flows.trusted import approvals  # noqa: F401
