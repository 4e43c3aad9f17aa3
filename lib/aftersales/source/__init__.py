"""The data a run reads: the contract, the readers of a folder, a DuckDB file or a database,
validation, the demo data."""
