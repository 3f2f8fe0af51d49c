"""Sources in and out: seed articles and OPML lists become feeds and items; OPML and Newsboat's
`urls` file take the feeds out."""
