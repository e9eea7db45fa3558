"""A real browser walks every console page reachable from the navigation, as each role (and the
field pages on a 390×844 phone), and fails on any 4xx/5xx answer, JavaScript error or console error."""

import re
from datetime import date
from urllib.parse import urlsplit

import pytest

from greensword.inspection import service as inspection
from tests.browser import browser_page, live_server, login
from tests.evaluation.test_review_and_ranking import _closed_cases
from tests.factories import actor
from tests.oversight import test_recommendations_list as recommendations
from tests.portal import test_lists as portal_lists
from tests.review import test_round_list as round_list
from tests.training import test_lists as training_lists
from tests.web import test_lists_cut as lists_cut
from tests.web import test_lists_intake as lists_intake

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
#: Links that are actions or downloads, not pages (downloads are fetched and checked, not opened).
SKIP = re.compile(r"^/(logout|api/v1/docs)")
DOWNLOAD = re.compile(r"\.(docx|xlsx|csv|pdf|zip)(\?|$)|/documents/\d+$")
PER_PATTERN = 2           # pages of one shape (e.g. /cases/<id>) visited per role
MAX_PAGES = 45


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", urlsplit(path).path)


def walk(page, base: str) -> tuple[list[str], list[str], int]:
    """Breadth-first over same-origin links from the home page. Returns (bad answers, console
    errors, pages visited)."""
    bad, errors = [], []
    page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text} @ {page.url}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e} @ {page.url}"))
    queue, seen, shapes, visited = ["/"], set(), {}, 0
    while queue and visited < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        shape = _shape(path)
        if shapes.get(shape, 0) >= PER_PATTERN:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        if DOWNLOAD.search(path):
            r = page.request.get(base + path)
            if r.status >= 400:
                bad.append(f"{r.status} {base}{path}")
            continue
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        visited += 1
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            if not href or href.startswith(("#", "javascript:", "mailto:", "http")) or SKIP.match(href):
                continue
            if href not in seen:
                queue.append(href)
    return bad, errors, visited


@pytest.fixture
def busy_world(db, world):
    """Cases, a drawn plan with tasks: every list has rows and every detail page has a link."""
    _closed_cases(db, world, "330102", 2, year=date.today().year)
    a = actor(db, world, "leader-330102")
    county = world.agencies["330102"]
    plan = inspection.create_plan(db, a, agency_id=county.id, name="本季度双随机", period_start=date.today(),
                                  period_end=date.today(), teams=1)
    inspection.draw(db, a, plan.id, "walk seed")
    db.commit()
    return world


ROLES = [("leader-330000", DESKTOP), ("leader-330100", DESKTOP), ("officer-330102", DESKTOP),
         ("officer-330102", PHONE), ("reviewer-330000", DESKTOP), ("evaluator-330000", DESKTOP),
         ("admin-330000", DESKTOP), ("ent-330102-key", DESKTOP), ("ent-330102-key", PHONE)]


def test_every_page_for_every_role(app, busy_world):
    failures = []
    with live_server(app) as base:
        for username, device in ROLES:
            with browser_page(**device) as page:
                login(page, base, username)
                bad, errors, visited = walk(page, base)
                label = f"{username}@{device['viewport']['width']}"
                assert visited >= 1, label
                failures += [f"{label}: {b}" for b in bad + errors]
    assert not failures, "\n".join(failures)


# --- every list page of the one list pattern, with rows, as the roles that see it -----------------

#: the list fixtures of each area's list tests (hundreds of rows each, so every list has pages)
complaints, transfers = lists_intake.complaints, lists_intake.transfers
inbox, findings, many, rounds = portal_lists.inbox, recommendations.findings, training_lists.many, round_list.rounds
measures, selfchecks, listings = lists_cut.measures, lists_cut.selfchecks, lists_cut.listings
notifications, referrals, competitions = lists_cut.notifications, lists_cut.referrals, lists_cut.competitions
AGENCY_LISTS = ["/complaint", "/transfer", "/training/courses", "/training/equipment", "/portal/warnings",
                "/portal/rectifications", "/portal/credit/reviews", "/disclosure/draws", "/transfer/untracked",
                "/portal/selfchecks", "/portal/positive/manage?status=all", "/portal/notifications", "/cases/referrals",
                "/training/competitions", "/cases?overdue=1"]
LIST_PAGES = {
    "officer-330102": AGENCY_LISTS,
    "leader-330100": AGENCY_LISTS + ["/training/qualifications", "/oversight", "/oversight/recommendations", "/review",
                                     "/registry/agencies?size=5"],
    "reviewer-330000": ["/training/courses", "/oversight/recommendations", "/review"],
    "ent-330102-key": ["/portal/warnings", "/portal/rectifications", "/disclosure/draws", "/portal/selfchecks",
                       "/portal/notifications", "/portal/cases"],
}


def _visit_list(page, base: str, path: str, bad: list[str]) -> None:
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    assert page.locator("nav.pager").count() == 1, f"{path}: no pager"
    hrefs = page.eval_on_selector_all(
        "a.sort, nav.pager a[rel=next], .exports a", "els => els.map(e => e.getAttribute('href'))")
    sort = [h for h in hrefs if "sort=" in h][:1]
    nxt = [h for h in hrefs if "page=" in h and "sort=" not in h][:1]
    for h in sort + nxt:                                  # a sorted view and the next page, in the browser
        page.goto(base + path.split("?")[0] + h if h.startswith("?") else base + h)
        page.wait_for_load_state("networkidle")
    for h in hrefs:                                       # the exports, fetched (downloads, not pages)
        if ".csv" in h or ".xlsx" in h:
            r = page.request.get(base + h)
            if r.status >= 400 or not r.headers.get("x-total-count"):
                bad.append(f"{r.status} {h} (X-Total-Count {r.headers.get('x-total-count')})")


@pytest.mark.usefixtures("complaints", "transfers", "inbox", "findings", "many", "rounds", "measures", "selfchecks",
                         "listings", "notifications", "referrals", "competitions")
def test_every_list_page_sorts_pages_and_exports_in_the_browser(app, world):
    failures = []
    with live_server(app) as base:
        for username, paths in LIST_PAGES.items():
            with browser_page(**DESKTOP) as page:
                bad, errors = [], []
                page.on("response", lambda r, bad=bad: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
                page.on("console", lambda m, errors=errors: errors.append(f"{m.type}: {m.text}")
                        if m.type == "error" else None)
                page.on("pageerror", lambda e, errors=errors: errors.append(f"pageerror: {e}"))
                login(page, base, username)
                for path in paths:
                    _visit_list(page, base, path, bad)
                failures += [f"{username}: {b}" for b in bad + errors]
    assert not failures, "\n".join(failures)
