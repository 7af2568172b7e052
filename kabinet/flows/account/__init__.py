"""The account as a whole: history, export, the services catalogue and support requests."""
