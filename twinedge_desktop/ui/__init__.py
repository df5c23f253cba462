"""The Qt user interface, a package per feature (as auth/, api/, tokens/ are in the core).

- ``shell/``: the main window: navigation and page stack, actions and menus, Help, the
  message view. The only package that knows every feature.
- ``common/``: what every feature builds on: tasks, messages, style, widgets, clipboard,
  browser, and :mod:`~twinedge_desktop.ui.common.page` (how the shell and a page talk).
- one package per page: ``account/``, ``keys/``, ``inspector/``. A feature never imports
  another feature or the shell; a new page is a new package here plus one entry in
  ``shell/pages.py``.

No httpx, keyring or vault imports anywhere here (tests/unit/test_layering.py checks).
"""
