"""Sign-in (OAuth 2.0 authorization code + PKCE through the system browser) and sessions.

Plain asyncio, no Qt: the window and the command line drive the same code.
"""
