"""``python -m bot.cases``: the case commands without the ``wegwijzer`` entry point."""

import sys

from bot.cases.cli import main

sys.exit(main())
