"""TwinEdge Desktop: sign in to the TwinEdge API, manage API keys, inspect tokens."""

__version__ = "0.1.0"
APP_NAME = "TwinEdge Desktop"
