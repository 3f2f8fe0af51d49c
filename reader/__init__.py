"""A topic feed reader: feeds in (`sources`, `fetch`), parsed and sanitized (`parse`), stored
(`store`), scored and grouped into stories (`topic`) by the update (`update`), every use case
behind `core.Reader`, read in the terminal (`tui`), the `reader` command (`cli`) or the daemon.

README's "How it works" has one row per stage; `models` holds the data types that flow between.
"""

__version__ = "0.1.0"
