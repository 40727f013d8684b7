"""Reading the store: the JSON report of METRICS.md, time series, tables."""
