"""``python -m benchmarks``: run the benchmark table (see runner.py)."""

from .runner import main

raise SystemExit(main())
