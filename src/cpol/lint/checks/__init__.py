"""The checks, one module per kind of finding; each is `check(context) -> list[Finding]`."""
