"""A long export asked for from the console runs as a job: its page shows 已导出 N / 共 M 行 until
100 %, the file holds every row of the list's filters and jurisdiction (the same bytes the stream
gives), only the person who started it sees or downloads it, and it is removed after a while."""

import re
import time

import pytest

from greensword.settings import get_settings
from tests.conftest import csrf_client, login_as
from tests.web.test_lists import _csv_rows, _xlsx_rows, leads  # noqa: F401 - the leads fixture

HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def short_jobs(monkeypatch):
    monkeypatch.setenv("GREENSWORD_EXPORT_JOB_ROWS", "10")
    get_settings.cache_clear()


def _start(client, url: str) -> str:
    r = client.get(url, headers=HTML, follow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    m = re.fullmatch(r"/exports/([\w-]{20,})", r.headers["location"])
    assert m, r.headers["location"]
    return m.group(1)


def _wait(client, token: str, timeout: float = 30.0) -> tuple[str, list[int]]:
    """Poll the progress fragment as the page does until the job ends; the percentages seen."""
    seen, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        r = client.get(f"/exports/{token}/progress", headers={"hx-request": "true"})
        assert r.status_code == 200, r.text[:300]
        seen.append(int(re.search(r'<progress max="100" value="(\d+)"', r.text).group(1)))
        state = re.search(r'data-state="(\w+)"', r.text).group(1)
        if state in ("done", "failed"):
            return r.text, seen
        assert 'hx-trigger="every 1s"' in r.text, "an unfinished job's fragment keeps polling"
        time.sleep(0.05)
    raise AssertionError("export job did not finish")


def test_long_export_is_a_job_that_reaches_100_percent_with_every_row(client, world, leads, short_jobs):  # noqa: F811
    mine = [x for x in leads if x.agency_id == world.agencies["330102"].id]
    flat = [x for x in mine if x.detector == "flatline"]
    login_as(client, "officer-330102")
    token = _start(client, "/offsite/leads.xlsx?detector=flatline")
    page = client.get(f"/exports/{token}")
    assert page.status_code == 200 and 'id="export-progress"' in page.text and "/offsite/leads?detector=flatline" in page.text
    html, seen = _wait(client, token)
    assert seen[-1] == 100 and seen == sorted(seen), seen
    assert f"已导出 {len(flat)} / 共 {len(flat)} 行（100 %）" in html and "hx-trigger" not in html
    r = client.get(f"/exports/{token}/file")
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"] and r.headers["cache-control"] == "no-store"
    rows = _xlsx_rows(r)
    assert rows[0][0] == "线索编号" and {row[0] for row in rows[1:]} == {x.id for x in flat}
    assert len(rows) - 1 == len(flat) == int(r.headers["x-total-count"])
    # the job writes what the stream writes: same filters, same jurisdiction, same order
    direct = _xlsx_rows(client.get("/offsite/leads.xlsx?detector=flatline&direct=1", headers=HTML))
    assert rows == direct

    token = _start(client, "/offsite/leads.csv?sort=-start")
    html, _ = _wait(client, token)
    assert f"已导出 {len(mine)} / 共 {len(mine)} 行（100 %）" in html
    got = client.get(f"/exports/{token}/file")
    assert len(_csv_rows(got)) - 1 == len(mine)
    assert got.content == client.get("/offsite/leads.csv?sort=-start").content      # byte for byte, BOM included


def test_only_the_requester_sees_or_downloads_the_export(app, client, world, leads, short_jobs):  # noqa: F811
    login_as(client, "officer-330102")
    token = _start(client, "/offsite/leads.csv")
    _wait(client, token)
    assert client.get(f"/exports/{token}/file").status_code == 200
    for who in ("leader-330102", "officer-330106", "admin-330102"):
        with csrf_client(app) as other:
            login_as(other, who)
            for path in ("", "/progress", "/file"):
                r = other.get(f"/exports/{token}{path}")
                assert r.status_code == 404, (who, path, r.status_code)
                assert "线索编号" not in r.text
    with csrf_client(app) as anonymous:
        r = anonymous.get(f"/exports/{token}/file", follow_redirects=False)
        assert r.status_code in (303, 401) and "线索编号" not in r.text


def test_short_lists_and_api_clients_still_stream(client, world, leads, short_jobs):  # noqa: F811
    login_as(client, "officer-330102")
    r = client.get("/offsite/leads.csv?detector=flatline&status=closed", headers=HTML, follow_redirects=False)
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf")        # 10 rows or fewer
    r = client.get("/offsite/leads.csv", follow_redirects=False)                      # a script: Accept */*
    assert r.status_code == 200 and len(_csv_rows(r)) > 11


def test_finished_exports_are_removed_after_the_keep_time(client, world, leads, short_jobs, monkeypatch):  # noqa: F811
    from greensword.webkit import exports

    login_as(client, "officer-330102")
    token = _start(client, "/offsite/leads.xlsx")
    _wait(client, token)
    files = list(exports.folder().iterdir())
    assert [p.name for p in files] == [f"{token}.xlsx"]
    monkeypatch.setenv("GREENSWORD_EXPORT_KEEP_S", "0")
    get_settings.cache_clear()
    time.sleep(0.01)
    r = client.get(f"/exports/{token}")
    assert r.status_code == 404 and "已过期" in r.text
    assert list(exports.folder().iterdir()) == []
