"""Use cases. Each takes domain objects and the acting user, never `request`."""
