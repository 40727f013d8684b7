"""Sources of events: files (CSV, gzip CSV, Parquet) and the synthetic generator."""
