"""Signing in and who is signed in: the session controller, the sign-in and account pages,
the service-account and API-key dialogs, and the profiles (switch, add).
"""
