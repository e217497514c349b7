"""The checks: links, quotes, claims and the reasoned lists they read."""
