"""Gateways: the only code that talks to Azure (ARM, Resource Graph)."""
