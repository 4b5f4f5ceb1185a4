"""Tests of the standard library of policies (`src/cpol/stdlib_rules/`, `docs/stdlib.md`)."""
