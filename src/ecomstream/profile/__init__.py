"""`ecomstream profile`: a whole-file data profile of CSV, gzip CSV and Parquet files.

`profile_files` reads the files in chunks through the pipeline's own decoding and
validation, so rejects and figures follow ../shared/METRICS.md; the renderers show the
result as JSON, a self-contained HTML page or terminal tables.
"""

from ecomstream.profile.run import profile_files

__all__ = ["profile_files"]
