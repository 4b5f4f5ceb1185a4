"""The test suite, a package so that its modules are `tests.…` for pytest and mypy alike
(`tests/compiler` would otherwise be a top-level `compiler`, the name of `fuzz/compiler.py`)."""
