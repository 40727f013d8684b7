"""`python -m ecomstream` runs the command line."""

from ecomstream.cli.main import main

main()
