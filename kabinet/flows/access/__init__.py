"""Getting in and staying safe inside: registration, sign-in, sessions, step-up, password, authenticator app."""
