"""Every figure: formulas, the grid shape, periods, data quality and one module per report."""
