"""API keys: the list (model, table view, CSV export), rotation reminders and the key dialogs."""
