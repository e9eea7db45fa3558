"""Number filters in templates: a value missing from stored data shows as —, never a 500."""

from greensword.webkit.templating import templates


def test_missing_values_show_a_dash():
    t = templates.env.from_string("{{ r.avg_value|num(3) }}|{{ r.fine|money }}|{{ r.n|num }}")
    assert t.render(r={"n": 915600.0}) == "—|—|915,600"
