"""The TwinEdge REST API over one shared ``httpx.AsyncClient``: models, errors, API keys."""
