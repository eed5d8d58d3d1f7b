"""``python -m nnscratch.cli …`` is ``nnscratch …`` (as ``python -m nnscratch …`` is)."""

import sys

from . import main

sys.exit(main())
