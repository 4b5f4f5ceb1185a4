"""`python -m cpol.cli`: the `cpol` command."""

from cpol.cli import main

main()
