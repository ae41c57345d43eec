"""``python -m microgrid``: the same command line as the ``microgrid`` program."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
