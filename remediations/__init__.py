"""One module per fix: a pure plan() and an apply() that does the single write (issue 3)."""
