"""What every feature of the window shares: tasks, messages, style, widgets, clipboard, browser.

Imports no feature package: features build on it, never the other way round.
"""
