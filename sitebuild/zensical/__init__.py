"""The second builder: Zensical builds the same site beside MkDocs (make build-zensical).

MkDocs + Material + gen-files stay the production build. Zensical, Material's successor, runs
Python-Markdown extensions but no MkDocs plugin and no hook, so building the site with it proves
which of our steps are builder-independent (build.py) and what still differs (compare.py).
"""
