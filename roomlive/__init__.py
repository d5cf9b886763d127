"""roomlive: the shared, live view of a group ketamine-assisted therapy session."""
