"""The Qt user interface: windows, dialogs, models. No httpx or keyring imports here."""
