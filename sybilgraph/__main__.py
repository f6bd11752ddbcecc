"""``python -m sybilgraph`` runs the command line."""

from sybilgraph.cli import main

if __name__ == "__main__":
    main()
