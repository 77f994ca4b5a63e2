"""``python -m tools.kafka {fetch,start,stop,status}``; see :mod:`tools.kafka.cli`."""

import sys

from tools.kafka.cli import main

sys.exit(main())
