"""`make bench`: build, reload and page-load speed and size of the site, against the budgets."""
