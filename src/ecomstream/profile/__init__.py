"""`ecomstream profile`: a whole-file data profile of CSV, gzip CSV and Parquet files.

`profile_files(paths)` reads the files one after another in chunks, decodes and
validates them with the pipeline's own rules (see `decoding`), folds each chunk into
mergeable tallies (`accumulate`, `tally`) and builds one JSON-ready dict (`build`): the
keys of the contract's JSON report (../shared/METRICS.md) first, then the profile's own
(rows, files, duplicate rows, quality score, per-field figures, prices, time of day,
sessions, brand and category tables). Renderers: `to_json`, `to_html` (one offline page)
and `to_terminal` (rich tables); `cli.profile_command` is the click command.

    >>> from pathlib import Path
    >>> profile = profile_files([Path("events.csv.gz")])  # doctest: +SKIP
    >>> to_html(profile, "report.html")  # doctest: +SKIP
"""

from ecomstream.profile.render_html import to_html
from ecomstream.profile.render_json import to_json
from ecomstream.profile.render_terminal import to_terminal
from ecomstream.profile.run import profile_files

__all__ = ["profile_files", "to_html", "to_json", "to_terminal"]
