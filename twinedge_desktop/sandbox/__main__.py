"""``python -m twinedge_desktop.sandbox``: the sandbox server in the foreground."""

from __future__ import annotations

import argparse
import sys

from twinedge_desktop.cli.sandbox import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m twinedge_desktop.sandbox",
        description="Run the local TwinEdge sandbox (authorization server + API) on loopback.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
