"""core.rules.held: a long scan looks each rules file up once; outside it, a changed override is
read on the next look-up as before."""

from datetime import date

from greensword.cases import deadlines
from greensword.core import rules


def test_rules_are_looked_up_once_within_held_and_fresh_outside(monkeypatch):
    looked = []
    real = rules._current
    monkeypatch.setattr(rules, "_current", lambda name: looked.append(name) or real(name))
    start = date(2026, 3, 2)
    with rules.held():
        first = [deadlines.period_end("filing", start) for _ in range(50)]
        with rules.held():                                     # nested: the outer block's rules
            deadlines.article("filing", start)
    assert len(set(first)) == 1 and looked == ["cases/periods.yaml"]
    looked.clear()
    deadlines.period_end("filing", start)
    deadlines.period_end("filing", start)
    assert looked == ["cases/periods.yaml"] * 2                # outside held: checked on every look-up
