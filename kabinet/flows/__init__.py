"""One module per self-service flow. Importing the package registers every confirm handler."""

from kabinet.flows import (  # noqa: F401
    add_phone,
    change_contact,
    registration,
    remove_contact,
    sign_in,
    step_up,
    totp,
)
from kabinet.flows.recovery import password_reset  # noqa: F401
