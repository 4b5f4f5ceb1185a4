"""Campaign scale (SPEC §6): a policy set lowered to one SQL plan, run on DuckDB or Spark."""
