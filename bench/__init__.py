"""Benchmarks at national scale: a data generator (`bench.generate`) and the measurements (`bench.run`).

Nothing here is imported by the application; see BENCHMARKS.md for what is measured and how.
"""
