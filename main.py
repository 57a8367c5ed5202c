"""Perception studio: with no arguments the desktop app opens on the bundled sample; otherwise a headless command."""

import sys


def main() -> int:
    """Dispatch to the GUI or the headless CLI."""
    if len(sys.argv) == 1:
        from app.main_window import launch

        return launch([])
    from perception.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
