"""The guests: the pinned Debian packages the labs and tests boot, and the browser VM."""
