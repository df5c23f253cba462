"""`python -m twinedge_desktop` is the same as the `twinedge-desktop` command."""

from twinedge_desktop.cli import main

raise SystemExit(main())
