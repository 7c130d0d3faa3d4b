"""`python -m visualdistance.cli` runs the command line, as the `visualdistance` script does."""

from visualdistance.cli.main import app

app()
