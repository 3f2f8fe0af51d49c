"""`python -m reader.parse FD MEMORY_MB`: run a parser worker (started by `ParserPool`)."""

from __future__ import annotations

import sys

from reader.parse.worker import main

sys.exit(main(sys.argv[1:]))
