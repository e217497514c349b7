"""Build-time code for the site: the figure pipeline and the checks. Knows little of MkDocs."""
