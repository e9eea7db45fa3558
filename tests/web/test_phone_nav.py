"""On a 390×844 phone the top bar is one row (brand + 菜单); the button opens the navigation as a
list and closes it again. On a desktop the navigation shows without the button."""

import pytest

from tests.browser import browser_page, live_server, login

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def test_phone_menu_is_one_row_and_opens(app, world):
    with live_server(app) as base:
        with browser_page(**PHONE) as page:
            login(page, base, "leader-330000")
            bar = page.locator("header.topbar")
            assert bar.bounding_box()["height"] < 60              # one row, not three
            assert not page.locator(".mainnav").is_visible()
            page.click("#navtoggle")
            assert page.locator("#navtoggle").get_attribute("aria-expanded") == "true"
            links = page.locator(".mainnav a")
            assert links.count() >= 5 and all(links.nth(i).is_visible() for i in range(links.count()))
            boxes = [links.nth(i).bounding_box() for i in range(2)]
            assert boxes[1]["y"] > boxes[0]["y"]                  # a list, one entry per line
            assert page.locator(".who button").is_visible()       # 退出 reachable too
            page.click("#navtoggle")
            assert not page.locator(".mainnav").is_visible()
        with browser_page(viewport={"width": 1280, "height": 900}) as page:
            login(page, base, "leader-330000")
            assert page.locator(".mainnav").is_visible() and not page.locator("#navtoggle").is_visible()
