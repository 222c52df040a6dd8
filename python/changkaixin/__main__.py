"""``python -m changkaixin demo``: a short synthetic city screening."""

from __future__ import annotations

import sys

from ._demo import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
