"""Approval cases: who may decide (auth), what a decision does (desk), who hears about it (sinks)."""
