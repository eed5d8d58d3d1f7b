"""Ops: one module per family of Functions (see DESIGN.md §Defining an op)."""
