"""The local TwinEdge sandbox: an authorization server and API speaking the TwinEdge contract.

Nothing is imported here, so ``twinedge_desktop.cli.sandbox`` stays cheap to import.
Start it with ``python -m twinedge_desktop.sandbox`` or, from Python,
:func:`twinedge_desktop.sandbox.embedded.start_in_thread`.
"""
