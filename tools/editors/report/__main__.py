"""`python -m tools.editors.report` (what `make report` runs): the report's command line."""

from __future__ import annotations

from tools.editors.report.cli import main

if __name__ == "__main__":
    main()
