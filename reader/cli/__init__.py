"""The `reader` command: one module per subcommand group, each calling only `reader.core`."""
