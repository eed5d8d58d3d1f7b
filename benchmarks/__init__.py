"""Side-by-side benchmarks of nnscratch against PyTorch: ``python -m benchmarks --help``.

See benchmarks/README.md for the workloads, the FLOP counts and how threads are set.
"""
