"""``python -m patimg`` is the ``patimg`` command."""

from __future__ import annotations

import sys

from patimg.cli import main

sys.exit(main())
