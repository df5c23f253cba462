"""The API-key dialogs: create, copy once, revoke, rotate, details."""
