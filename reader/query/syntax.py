"""The search syntax in words, shown by `reader search --help` and the terminal reader's help."""

SEARCH_SYNTAX = """\
Plain words find items holding all of them (any case, accents, word endings).
Asia-Pacific, U.S. and it's are found as written.
  "exact phrase"     the words next to each other, in this order
  nato OR aukus      either word (AND binds tighter than OR)
  -word, NOT word    leave out items holding the word
  liais*             any word beginning with liais
  title:japan        only in the title; also author:, source:, body:
  title:"a b"        a field with a phrase; title:(a OR b) with a group
  (a OR b) c         parentheses group
  NEAR(a b, 5)       the words within 5 words of each other
Filters combine with words, -, OR and parentheses like words:
  tag:ukraine        tagged so (the item or its feed); tag:"two words"
  feed:bbc           from a feed whose name holds bbc (or with that URL)
  is:unread          also is:read, is:starred, is:unstarred, is:tagged,
                     is:hidden (hidden items show only when asked for)
  score>0.5          topic score; also >=, <, <=
  story:3+           in a story from 3 or more sources; story:12 one story
  newer:7d           dated within 7 days (m, h, d, w); older:2w before
Operators are upper case: or, and, not in lower case are words."""
"""Every line fits in 78 columns."""

NEGATION_IN_OR = (
    "a word left out with - or NOT needs a word to be left out of, in the same group:"
    " write (a OR b) -c, not a OR -c"
)
"""The hint for an exclusion as one side of OR, which no backend runs."""

UNRUNNABLE = "the search could not be run as written; try fewer operators (see the search help)"
"""The hint should a backend ever refuse a compiled query (the user never sees its message)."""
