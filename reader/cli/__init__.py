"""The command line: `reader ...` subcommands over the store's typed API."""
