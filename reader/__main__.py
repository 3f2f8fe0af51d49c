"""`python -m reader`: the `reader` command (`reader.cli.main`)."""

from reader.cli.main import main

main()
