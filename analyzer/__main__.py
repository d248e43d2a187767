"""``python -m analyzer`` runs the command-line interface."""

from analyzer.cli.main import main

main(prog_name="analyzer")
