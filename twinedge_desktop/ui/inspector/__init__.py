"""The Token Inspector: paste or drop a token, see what it says, verify it, compare two."""
