"""The state store: one protocol (`base.StateStore`), an Azure Table Storage backend for production and a
SQLite backend for the command line and the demo."""
