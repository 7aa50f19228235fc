"""Development and test tools, outside the Dagster code location (`orchestration`).

- `simulate/`: the district simulator, which writes realistic deliveries into a lake's
  inbox and keeps the ground truth of what it injected (`eduhouse simulate`);
- `sample_lake`: a hand-made miniature lake of marts for report tests and demos
  (`eduhouse sample-marts`).

This package imports `orchestration`; `orchestration` never imports it (an import-linter
contract, checked in `make test`). Its commands join the `eduhouse` command line through
the `eduhouse.commands` entry-point group declared in pyproject.toml.
"""
