"""Campaign scale (SPEC §6): a policy set lowered to one SQL plan, run on DuckDB or Spark."""

from cpol.batch.backend import BatchInputError
from cpol.batch.requests import customer_requests
from cpol.batch.run import decide

__all__ = ["BatchInputError", "customer_requests", "decide"]
