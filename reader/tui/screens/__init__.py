"""The terminal reader's screens: the main screen and its dialogs."""
