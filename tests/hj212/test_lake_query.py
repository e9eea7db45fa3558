"""Console reads of the lake answer from memory only while they would read the same files: an
upload (a new file) or a changed file is read at once."""

import os
from datetime import date, datetime

from greensword.hj212 import lake

SQL = "select mn, count(*), sum(value) from {src} group by mn order by mn"


def _row(mn: str, minute: int, value: float) -> dict:
    return {"mn": mn, "factor": "w01018", "data_time": datetime(2026, 5, 1, 8, minute), "kind": "minute",
            "value": value}


def test_new_upload_is_seen_and_unchanged_files_are_not_read_again(tmp_path, monkeypatch):
    day = [date(2026, 5, 1)]
    lake.write_rows(tmp_path, [_row("MN1", 0, 1.0), _row("MN2", 0, 5.0)])
    files = lake.files_of(tmp_path, "minute", day)
    first = lake.query(files, SQL)
    assert first == [("MN1", 1, 1.0), ("MN2", 1, 5.0)]
    assert lake.query(lake.files_of(tmp_path, "minute", day), SQL) is first       # same files: from memory

    lake.write_rows(tmp_path, [_row("MN1", 1, 2.0)])                             # an upload: a new file
    assert lake.query(lake.files_of(tmp_path, "minute", day), SQL) == [("MN1", 2, 3.0), ("MN2", 1, 5.0)]

    # a file replaced in place (not what the lake does, but a repair might): read again
    path = files[0]
    lake.write_rows(tmp_path / "other", [_row("MN1", 0, 7.0), _row("MN2", 0, 5.0)])
    os.replace(lake.files_of(tmp_path / "other", "minute", day)[0], path)
    assert lake.query(files, SQL) == [("MN1", 1, 7.0), ("MN2", 1, 5.0)]
