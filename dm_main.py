#!/usr/bin/env python3
"""makeover command line: `python dm_main.py --run COMMAND [OPTIONS]`; see --help."""

from makeover.cli import main

if __name__ == "__main__":
    main()
