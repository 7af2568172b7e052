"""The trusted person (issue 15): invitations, the link and its cooling-off, approvals. Each module is one flow."""
