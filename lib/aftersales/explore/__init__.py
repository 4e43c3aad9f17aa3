"""The analyst's widgets, views and drill-down in JupyterLab."""
