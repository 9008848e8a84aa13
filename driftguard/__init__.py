"""DriftGuard: keeps Azure AI estates inside their security baseline."""

__version__ = "0.1.0"
