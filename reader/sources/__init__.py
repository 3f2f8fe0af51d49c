"""Sources in: local inputs that become feeds and items (seed articles, OPML lists)."""
