"""`python -m sitebuild.figures` (and `make figure NAME=...`): render figures, print their paths."""

import sys

from sitebuild.figures import main

sys.exit(main())
