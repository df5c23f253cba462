"""Helpers shared by the test suites: sandbox fixtures, sign-in drivers."""
