"""The command line: ``microgrid grad | draw | demo``, also ``python -m microgrid``.

``commands.py`` holds the commands, ``expr.py`` the safe expression parser they share.
"""

from .commands import main

__all__ = ["main"]
