"""cityboard's benchmark suite: `python -m bench [SCENARIO...] [--quick] [--json OUT]`.

The figures, how to run them and what limits each: docs/performance.md.
"""
