"""``python -m feedsvc`` runs the command line."""

from feedsvc.cli import main

if __name__ == "__main__":
    main()
