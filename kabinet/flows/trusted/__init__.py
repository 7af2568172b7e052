"""The trusted person: invitations, the link and its cooling-off, approvals. Each module is one flow."""
