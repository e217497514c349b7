"""Setup: the system packages the project installs, and a clear error when one is missing."""
