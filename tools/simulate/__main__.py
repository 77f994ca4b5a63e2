"""``python -m tools.simulate``; see :mod:`tools.simulate.cli`."""

import sys

from tools.simulate.cli import main

sys.exit(main())
