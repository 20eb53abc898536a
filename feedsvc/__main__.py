"""``python -m feedsvc`` runs the command line."""

from feedsvc.cli import run

if __name__ == "__main__":
    run()
