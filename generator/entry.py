"""The ``meshcomply`` executable: Ctrl-C and SIGTERM are handled before anything heavy loads.

Importing the CLI (click, the package's inputs layer) takes a tenth of a second or more; a signal
in that time would otherwise end the command with Python's traceback (Ctrl-C) or unhandled
(SIGTERM, no cleanup). So the handlers are installed first, from a module that imports nothing
but ``interrupts``, and a signal during the import ends the command the way it does later: one
line and exit status 130.
"""

from __future__ import annotations

import sys

from generator.interrupts import EXIT_INTERRUPTED, install, interrupted_line


def main() -> None:
    install()
    try:
        from generator.cli import run
    except KeyboardInterrupt as exc:
        sys.stderr.write(interrupted_line(exc) + "\n")
        sys.exit(EXIT_INTERRUPTED)
    run()
