"""Approval cases: who may decide (auth), what a decision does (desk), who hears about it (sinks)."""


class Refused(Exception):
    """A request that cannot be honoured; `status` is the HTTP status the API answers with and
    `message` the one line it says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
