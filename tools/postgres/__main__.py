"""``python -m tools.postgres {ensure-installed,start,stop,self-check}``; see :mod:`tools.postgres.cli`."""

import sys

from tools.postgres.cli import main

sys.exit(main())
