"""``python -m patrimoine.cli``."""

import sys

from patrimoine.cli import main

sys.exit(main())
