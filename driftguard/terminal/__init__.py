"""What the command line needs around the engine: input that Windows tools write, output that fits a
terminal and a CI log, progress on a terminal only, and one-line answers to a missing Azure login."""
