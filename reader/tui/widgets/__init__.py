"""The terminal reader's widgets: the sidebar of views, the item list and the reading pane."""
