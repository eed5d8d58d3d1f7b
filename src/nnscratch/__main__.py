"""``python -m nnscratch …`` runs the ``nnscratch`` command."""

import sys

from .cli import main

sys.exit(main())
