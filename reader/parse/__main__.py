"""`python -m reader.parse FD MEMORY_MB`: run a parser worker (started by `ParserPool`)."""

from __future__ import annotations

import os
import sys

from reader.parse.worker import main

status = main(sys.argv[1:])
# The pool waits for this exit when it closes: skip the interpreter's teardown (a worker's
# answers all went through its socket; nothing else is left to flush or release).
sys.stderr.flush()
os._exit(status)
