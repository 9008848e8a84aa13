"""`python -m driftguard`: the `driftguard` command."""

from driftguard.entry import main

if __name__ == "__main__":
    main()
