"""``python -m thermodefect.cli``: the same as the ``thermodefect`` command."""

import sys

from thermodefect.cli import main

sys.exit(main())
