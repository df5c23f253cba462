"""The window frame: navigation and page stack, actions and menus, Help, the message view.

The only package that knows every feature.
"""
