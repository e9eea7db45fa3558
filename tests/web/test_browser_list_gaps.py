"""The list gaps closed last (issue 18), walked in a real browser as each role that sees them: the
public results' county search (no login), the registry's unit picker, the officer pickers' filter
box, the firm's own cases from its home, the dashboard's overdue panel to the full list, and a
正面清单 action that comes back to the same view — with no 4xx/5xx answer and no console error."""

import re

import pytest

from tests.browser import browser_page, live_server, login
from tests.web import test_lists_cut as lists_cut
from tests.web import test_lists_pickers as pickers

pytestmark = pytest.mark.browser

late_cases, listings, picker_world = lists_cut.late_cases, lists_cut.listings, lists_cut.picker_world
accepted = pickers.accepted
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def _watch(page, bad: list[str]) -> None:
    page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: bad.append(f"console {m.type}: {m.text} @ {page.url}") if m.type == "error" else None)
    page.on("pageerror", lambda e: bad.append(f"pageerror: {e} @ {page.url}"))


def _pick_unit(page, text: str, unit_id: int) -> None:
    """Type into the unit picker's search box, wait for the drop-down to fill, choose the unit."""
    with page.expect_response(lambda r: "unit-options" in r.url):
        page.fill("input.unit-search", text)
    page.wait_for_selector(f'select[name=agency_id] option[value="{unit_id}"]', state="attached")
    page.select_option("select[name=agency_id]", str(unit_id))


def test_list_gaps_in_the_browser_as_each_role(app, world, monkeypatch, late_cases, listings, picker_world):
    from greensword.webkit.templating import templates

    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)     # as at province or national scale
    county = world.agencies["330102"]
    lead, warning, officers = picker_world
    bad: list[str] = []
    with live_server(app) as base:
        # the public, no login: the results' 检查机构 filter searched as one types
        with browser_page(**DESKTOP) as page:
            _watch(page, bad)
            page.goto(f"{base}/public/inspections")
            _pick_unit(page, "上城", county.id)
            page.click("form.filters button")
            page.wait_for_load_state("networkidle")
            assert f"agency_id={county.id}" in page.url
            assert page.locator("select[name=agency_id]").input_value() == str(county.id)
        # the firm: its home's case panel to its own paged cases
        with browser_page(**DESKTOP) as page:
            _watch(page, bad)
            login(page, base, "ent-330102-key")
            page.goto(f"{base}/portal")
            page.click("#cases a:has-text('查看全部')")
            page.wait_for_load_state("networkidle")
            assert page.url.endswith("/portal/cases") and "共 17 条，第 1/1 页" in page.inner_text("nav.pager")
            assert page.locator("#cases tbody tr").count() == 17
            page.click("a.sort:has-text('案号')")
            page.wait_for_load_state("networkidle")
            assert "sort=number" in page.url
        # the leader: the dashboard's overdue panel to the full list
        with browser_page(**DESKTOP) as page:
            _watch(page, bad)
            login(page, base, "leader-330102")
            page.goto(f"{base}/dashboard")
            page.wait_for_load_state("networkidle")
            page.click("#overdue-panel a:has-text('查看全部')")
            page.wait_for_load_state("networkidle")
            assert page.url.endswith("/cases?overdue=1") and "共 17 条" in page.inner_text("nav.pager")
        # the province's leader: the registry's unit picker (three counties: more than the drop-down holds)
        with browser_page(**DESKTOP) as page:
            _watch(page, bad)
            login(page, base, "leader-330000")
            for path, total in (("/registry/enterprises", 2), ("/registry/officers", 40 + 2)):
                page.goto(base + path)
                _pick_unit(page, "330102", county.id)
                page.click("form.filters button:has-text('查询')")
                page.wait_for_load_state("networkidle")
                assert f"agency_id={county.id}" in page.url and f"共 {total} 条" in page.inner_text("nav.pager"), path
                assert page.locator("select[name=agency_id]").input_value() == str(county.id), path
        # the county officer (one county: a plain drop-down), the officer pickers, a 正面清单 action
        with browser_page(**DESKTOP) as page:
            _watch(page, bad)
            login(page, base, "officer-330102")
            page.goto(f"{base}/registry/enterprises")
            assert page.locator("input.unit-search").count() == 0
            for url, form in ((f"/offsite/leads/{lead.id}", "#act-request_inspection"),
                              (f"/portal/warnings/{warning.id}", "#escalate-form")):
                page.goto(base + url)
                labels = page.locator(f"{form} .officer-list label")
                assert labels.count() == 40, url
                page.fill(f"{form} input.officer-filter", "核查员07")
                visible = [t.strip() for t in labels.evaluate_all("ls => ls.filter(l => !l.hidden).map(l => l.innerText)")]
                assert "核查员07" in visible and len(visible) <= 3, (url, visible)   # the match and the two ticked
                page.fill(f"{form} input.officer-filter", "")
                assert labels.evaluate_all("ls => ls.filter(l => !l.hidden).length") == 40, url
            view = "/portal/positive/manage?status=pending&origin=application&page=2&size=5"
            page.goto(base + view)
            row = page.locator("#listings tbody tr").first
            row.locator("form:has(button[id^=reject-]) input[name=reason]").fill("材料不全")
            row.locator("button[id^=reject-]").click()
            page.wait_for_load_state("networkidle")
            assert re.search(r"status=pending.*origin=application.*page=2.*size=5", page.url), page.url
            assert page.locator('#positive-tabs a[aria-current="page"]').inner_text().startswith("待审核")
    assert not bad, "\n".join(bad)


def _pick(page, form: str, box: str, text: str, url_part: str, value: int, select: str) -> None:
    """In ``form``, type ``text`` into the picker's search box, wait for its drop-down, choose ``value``."""
    with page.expect_response(lambda r: url_part in r.url):
        page.fill(f"{form} input.{box}", text)
    page.wait_for_selector(f'{form} select[name={select}] option[value="{value}"]', state="attached")
    page.select_option(f"{form} select[name={select}]", str(value))


def test_form_pickers_in_the_browser(app, db, world, monkeypatch, accepted):
    """The complaint page's enterprise link and 承办单位, and a training form's officer, chosen by
    typing in a real browser at province scale (more units and officers than a drop-down holds)."""
    from greensword.complaint.models import Complaint
    from greensword.webkit.templating import templates

    monkeypatch.setitem(templates.env.globals, "unit_select_max", 2)
    ent, west, o = world.enterprises["330102-small"], world.agencies["330106"], world.officers["330106-1"]   # not offered first
    bad: list[str] = []
    with live_server(app) as base, browser_page(**DESKTOP) as page:
        _watch(page, bad)
        login(page, base, "leader-330100")                       # the city: three units, more than 2
        page.goto(f"{base}/complaint/{accepted.id}")
        _pick(page, "#link-enterprise", "enterprise-search", ent.uscc[-6:], "enterprise-options", ent.id,
              "enterprise_id")
        page.click("#link-enterprise button")
        page.wait_for_load_state("networkidle")
        assert ent.name in page.inner_text("dl.facts") and "未关联登记企业" not in page.inner_text("dl.facts")
        _pick(page, "#assign", "unit-search", "西湖", "unit-options", west.id, "agency_id")
        page.fill("#assign input[name=handlers]", "officer-330106")
        page.click("#assign button")
        page.wait_for_load_state("networkidle")
        assert west.name in page.inner_text("dl.facts")
        login(page, base, "leader-330000")                       # the province: its officers searched
        page.goto(f"{base}/training/manage")
        form = "form[action='/training/manage/qualifications']"
        _pick(page, form, "officer-search", o.cert_no, "officer-options", o.id, "officer_id")
        page.fill(f"{form} input[name=number]", "ZJ-B-0001")
        page.fill(f"{form} input[name=issued_on]", "2026-01-05")
        page.click(f"{form} button")
        page.wait_for_load_state("networkidle")
        assert page.inner_text("#ok") == "资格已登记", page.url
    db.expire_all()
    c = db.get(Complaint, accepted.id)
    assert c.enterprise_id == ent.id and c.agency_id == west.id
    assert not bad, "\n".join(bad)
