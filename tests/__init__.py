"""The checks of `make test`. A package, so test modules import what they share as
`tests.support` (and `tests.scripts.labkit`, ...) wherever pytest runs from."""
