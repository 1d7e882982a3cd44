"""`python -m bkgen` is the `bkgen` command."""

from bkgen.cli import main

main()
