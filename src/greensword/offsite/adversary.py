"""An adversarial, labelled monitoring-data generator for tests and benchmarks.

Written from a model of plants and data loggers, not from the detectors: a load process with
daily shape and random hour-to-hour drift, concentrations following load, oxygen and flow tied
to load, power meters on their own MNs linked to the emission points they explain. Legitimate
events that look like violations are always present and never labelled: real shut-downs with
start-up ramps above the limit under flag F, announced maintenance at zero under M, daily zero/
span calibrations under C, slow calibration drift, low-load periods (concentration, flow and
oxygen all move), plants genuinely running at 82–92 % of their limit, network outages back-filled
later, re-sent packets, points whose interval changes mid-dump. Points send minute data every
1, 5 or 10 minutes (HJ 212 MinInterval), with or without the device's hourly (2061) and daily
(2031) values, or hourly data only.

Violations are injected with magnitudes drawn from a range (``ranges="detect"``: from just past
where a careful analyst would call it a violation to blatant; ``ranges="sweep"``: straddling
that point) and every label carries its magnitude, so a benchmark can draw P/R curves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..hj212 import lake
from .hourly import Limits

GAS = {"a21026": 35.0, "a21002": 50.0, "a34013": 10.0}     # SO2, NOx, dust: limits (折算, mg/m3)
WATER = {"w01018": 50.0, "w21003": 5.0}                     # COD, NH3-N (mg/L)
KINDS = ["exceedance", "flatline", "near_limit", "sudden_drop", "flag_abuse", "missing_data", "o2_dilution",
         "duplicate_pattern", "out_of_range", "power_mismatch", "aggregate_mismatch"]
DAY = 1440

#: magnitude ranges per violation: "detect" = should be found; "sweep" = straddles the line.
RANGES = {
    "detect": {"exceedance": (1.04, 2.5), "flatline": (4, 12), "near_limit": (0.0005, 0.008),
               "sudden_drop": (0.03, 0.3), "flag_abuse": (6, 12), "missing_data": (3, 12),
               "o2_dilution": (4.0, 9.0), "duplicate_pattern": (0.0, 0.01), "out_of_range": (0.05, 50.0),
               "power_mismatch": (0.0, 0.15), "aggregate_mismatch": (0.08, 0.5)},
    # the independence run: wider than "detect" on both sides of each range (subtler and more
    # blatant), still on the violation side of what an analyst would call a violation
    "wide": {"exceedance": (1.03, 3.0), "flatline": (4, 16), "near_limit": (0.0003, 0.008),
             "sudden_drop": (0.02, 0.33), "flag_abuse": (5, 14), "missing_data": (3, 24),
             "o2_dilution": (4.0, 10.0), "duplicate_pattern": (0.0, 0.012), "out_of_range": (0.01, 100.0),
             "power_mismatch": (0.0, 0.18), "aggregate_mismatch": (0.07, 0.6)},
    "sweep": {"exceedance": (0.96, 1.3), "flatline": (2, 8), "near_limit": (0.002, 0.04),
              "sudden_drop": (0.05, 0.8), "flag_abuse": (3, 8), "missing_data": (1, 6),
              "o2_dilution": (1.0, 8.0), "duplicate_pattern": (0.0, 0.06), "out_of_range": (0.001, 5.0),
              "power_mismatch": (0.0, 0.5), "aggregate_mismatch": (0.01, 0.2)},
}

#: look-alike (legitimate event) parameters: "default" for tests and the main benchmark tables;
#: "wide" for the independence run (benchmarks/offsite_quality.py --looks wide): plants genuinely
#: at 85–95 % of their limit for the whole dump, shut-downs up to three days, start-up ramps up to
#: 3.5 h, maintenance up to 4 h, longer calibrations, larger calibration drift, more resends and
#: back-fills. Violations keep their own ranges (RANGES).
LOOKS = {
    "default": {"near_share": 0.1, "near_base": (0.78, 0.84), "near_knee": 0.92, "near_room": 0.06,
                "shutdown_hours": (4, 41), "ramp_minutes": (60, 121), "maint_hours": (1, 4),
                "cal_minutes": (20, 41), "drift": (0.03, 0.08), "late_share": 0.3, "late_hours": (2, 7),
                "resend_share": 0.01},
    "wide": {"near_share": 0.15, "near_base": (0.85, 0.93), "near_knee": 0.95, "near_room": 0.04,
             "shutdown_hours": (4, 73), "ramp_minutes": (60, 211), "maint_hours": (1, 5),
             "cal_minutes": (20, 56), "drift": (0.03, 0.15), "late_share": 0.5, "late_hours": (2, 13),
             "resend_share": 0.03},
}


@dataclass
class Spec:
    mn: str
    kind: str                       # gas | water
    limits: dict[str, float]
    ref_o2: float | None
    interval: int                   # minutes between minute-data samples; 60 = hourly data only
    device_hourly: bool = True      # sends 2061/2031 as well
    standard: str = ""              # emission standard setting the limits (what start-up marks excuse)
    meters: list[tuple[str, str, str]] = field(default_factory=list)   # (meter mn, factor, role)


@dataclass
class Sim:
    spec: Spec
    conc: dict[str, np.ndarray]     # true (corrected for gas) concentration per minute
    aux: dict[str, np.ndarray]      # O2, flow, pH
    meters: dict[tuple[str, str], np.ndarray]
    flags: np.ndarray               # per minute, whole point
    fflags: dict[str, np.ndarray] = field(default_factory=dict)   # per factor overrides
    present: np.ndarray | None = None
    raw_override: dict[str, np.ndarray] = field(default_factory=dict)  # raw values set directly (copies)
    zs_scale: dict[str, np.ndarray] = field(default_factory=dict)
    dev_scale: dict[str, np.ndarray] = field(default_factory=dict)     # per hour, device value × this
    day_scale: dict[str, np.ndarray] = field(default_factory=dict)     # per day, device daily (2031) value × this
    flat: dict[str, list] = field(default_factory=dict)               # factor → [(s, e)] hourly min = max
    late: np.ndarray | None = None  # minutes received late (back-filled)
    busy: np.ndarray | None = None  # hours already used by an event (with margin)
    interval_at: np.ndarray | None = None   # per day: interval in use


def make_specs(n: int, rng, prefix: str = "ADV", mix: dict | None = None) -> list[Spec]:
    """``mix``: interval → share, e.g. {1: 0.3, 5: 0.2, 10: 0.4, 60: 0.1}."""
    mix = mix or {1: 0.3, 5: 0.15, 10: 0.4, 60: 0.15}
    ivs, ps = list(mix), np.array(list(mix.values()), float)
    out = []
    for i in range(n):
        gas = rng.random() < 0.65
        iv = int(rng.choice(ivs, p=ps / ps.sum()))
        mn = f"{prefix}{'G' if gas else 'W'}{i:06d}".ljust(24, "0")[:24]
        spec = Spec(mn, "gas" if gas else "water", dict(GAS if gas else WATER),
                    float(rng.choice([3.5, 6.0, 9.0, 11.0])) if gas else None, iv,
                    device_hourly=iv == 60 or rng.random() < 0.6)
        if gas:                                  # incinerators (start-up allowance capped), boilers, power plants
            spec.standard = str(rng.choice(["GB 18485-2014", "GB 13271-2014", "GB 13223-2011"], p=[0.3, 0.4, 0.3]))
        if gas and rng.random() < 0.7:
            spec.meters = [(f"PWR{i:06d}P".ljust(24, "0")[:24], "e10001", "production"),
                           (f"PWR{i:06d}T".ljust(24, "0")[:24], "e10002", "treatment")]
        out.append(spec)
    return out


def specs_for(points: list[tuple], rng, mix: dict | None = None, links: dict | None = None) -> list[Spec]:
    """Specs for registered points [(mn, kind, {factor: limit}, ref_o2)] with a realistic mix of
    intervals; ``links`` gives each point's power meters (registry)."""
    mix = mix or {1: 0.3, 5: 0.15, 10: 0.4, 60: 0.15}
    ivs, ps = list(mix), np.array(list(mix.values()), float)
    out = []
    for mn, kind, limits, ref in points:
        iv = int(rng.choice(ivs, p=ps / ps.sum()))
        out.append(Spec(mn, kind, dict(limits), ref if kind == "gas" else None, iv,
                        device_hourly=iv == 60 or rng.random() < 0.6, meters=list((links or {}).get(mn, []))))
    return out


def _hourly_ar(h: int, rng, sigma: float, phi: float = 0.85) -> np.ndarray:
    e = rng.normal(0, sigma, h)
    out = np.empty(h)
    acc = 0.0
    for i in range(h):
        acc = phi * acc + e[i]
        out[i] = acc
    return out


def _to_minutes(hourly: np.ndarray) -> np.ndarray:
    """Hourly levels → per minute, linearly interpolated between hour centres."""
    h = len(hourly)
    x = (np.arange(h * 60) + 0.5) / 60 - 0.5
    return np.interp(x, np.arange(h), hourly)


def simulate(spec: Spec, days: int, rng, near_limit_plant: bool = False, looks: dict | None = None) -> Sim:
    lk = looks or LOOKS["default"]
    m, h = days * DAY, days * 24
    hours = np.arange(h)
    amp, phase = rng.uniform(0.04, 0.15), rng.uniform(0, 24)
    load_h = (1 + amp * np.sin(2 * np.pi * (hours - phase) / 24)) * (1 + _hourly_ar(h, rng, 0.05))
    load = np.clip(_to_minutes(load_h), 0.3, 2.0)
    conc = {}
    aux_codes = ("a19001", "a00000", "w01001", "w00000")
    for f, limit in spec.limits.items():
        if f in aux_codes:                     # oxygen, flow and pH follow the process, not a level
            continue
        drift = 1 + _to_minutes(_hourly_ar(h, rng, 0.06, 0.8))
        if near_limit_plant:
            base = limit * rng.uniform(*lk["near_base"])
            x = base * (1 + _hourly_ar(h, rng, 0.03, 0.6)) * (1 + 0.03 * np.sin(2 * np.pi * (hours - phase) / 24)) / limit
            knee, room = lk["near_knee"], lk["near_room"]
            hourly = np.where(x > knee, knee + room * np.tanh((x - knee) / room), x) * limit   # kept below the limit
            c = _to_minutes(hourly) * (1 + rng.normal(0, 0.015, m))
        else:
            smooth = limit * rng.uniform(0.2, 0.5) * load ** rng.uniform(0.6, 1.2) * drift
            x = smooth / limit                      # a plant that keeps well below its limit
            smooth = np.where(x > 0.55, 0.55 + 0.15 * np.tanh((x - 0.55) / 0.15), x) * limit
            c = smooth * (1 + rng.normal(0, rng.uniform(0.015, 0.05), m))
        conc[f] = np.maximum(c, 0.0)
    aux = {}
    if spec.kind == "gas":
        o2b = rng.uniform(5.0, 12.0)
        aux["a19001"] = o2b - 2.0 * (load - 1) + _to_minutes(_hourly_ar(h, rng, 0.12)) + rng.normal(0, 0.15, m)
        aux["a00000"] = rng.uniform(20, 200) * load * (1 + rng.normal(0, 0.02, m))
    else:
        aux["w01001"] = 7.2 + _to_minutes(_hourly_ar(h, rng, 0.05)) + rng.normal(0, 0.03, m)
        aux["w00000"] = rng.uniform(5, 50) * load * (1 + rng.normal(0, 0.03, m))
    meters = {}
    for mmn, f, role in spec.meters:
        if role == "production":
            meters[(mmn, f)] = rng.uniform(200, 2000) * load * (1 + rng.normal(0, 0.03, m))
        else:
            meters[(mmn, f)] = rng.uniform(30, 300) * (0.85 + 0.15 * load) * (1 + rng.normal(0, 0.03, m))
    sim = Sim(spec, conc, aux, meters, np.full(m, "N", dtype=object))
    sim.present = np.ones(m, dtype=bool)
    sim.late = np.zeros(m, dtype=bool)
    sim.busy = np.zeros(h, dtype=bool)
    sim.interval_at = np.full(days, spec.interval)
    sim.near = near_limit_plant  # type: ignore[attr-defined]
    return sim


def _free(sim: Sim, rng, n_hours: int, margin: int = 6, first: int = 24, whole_day: bool = False) -> int | None:
    h = len(sim.busy)
    for _ in range(200):
        if whole_day:
            d = int(rng.integers(max(1, first // 24), h // 24))
            s = d * 24
        else:
            if h - n_hours - 1 <= first:
                return None
            s = int(rng.integers(first, h - n_hours - 1))
        lo, hi = max(0, s - margin), min(h, s + n_hours + margin)
        if not sim.busy[lo:hi].any():
            sim.busy[lo:hi] = True
            return s
    return None


# ------------------------------------------------------------------------------ legitimate events

def legit(sim: Sim, rng, days: int, looks: dict | None = None) -> None:
    lk = looks or LOOKS["default"]
    sp = sim.spec
    m = days * DAY
    # real shut-down (4–40 h) with ramp-down and a start-up ramp above the limit, all under F
    if rng.random() < 0.4 and days >= 3:
        dur = int(rng.integers(*lk["shutdown_hours"]))
        s = _free(sim, rng, dur + 4, margin=2, first=6)
        if s is not None:
            a, b = (s + 1) * 60, (s + 1 + dur) * 60
            ramp = int(rng.integers(*lk["ramp_minutes"]))
            sim.flags[a - 30:b + ramp] = "F"
            for f in sim.conc:
                sim.conc[f][a:b] = sim.conc[f][a:b] * rng.uniform(0.0, 0.03)
                over = sp.limits[f] * rng.uniform(1.2, 2.0)
                sim.conc[f][b:b + ramp] = np.linspace(over, sim.conc[f][b + ramp], ramp)
            for k in sim.aux:
                if k == "a19001":
                    sim.aux[k][a:b] = rng.uniform(20.3, 20.9)
                    sim.aux[k][b:b + ramp] = np.linspace(20.5, sim.aux[k][b + ramp], ramp)
                elif k in ("a00000", "w00000"):
                    sim.aux[k][a:b] *= rng.uniform(0.0, 0.03)
                    sim.aux[k][b:b + ramp] *= np.linspace(0.05, 1, ramp)
            for (_mmn, f), v in sim.meters.items():
                v[a:b] *= rng.uniform(0.0, 0.03) if f == "e10001" else rng.uniform(0.05, 0.2)
                if f == "e10001":
                    v[b:b + ramp] *= np.linspace(0.0, 1.0, ramp) ** 2
    # announced maintenance at zero (1–3 h) once or twice a week
    m_days: set[int] = set()
    for _ in range(max(1, days // 5)):
        dur = int(rng.integers(*lk["maint_hours"]))
        s = _free(sim, rng, dur, margin=2, first=2)
        if s is not None and (s // 24 in m_days or (s + dur - 1) // 24 in m_days):   # one window a day
            sim.busy[s:s + dur] = False
            continue
        if s is not None:
            m_days.update({s // 24, (s + dur - 1) // 24})
            a, b = s * 60 + int(rng.integers(0, 30)), (s + dur) * 60
            sim.flags[a:b] = "M"
            for f in sim.conc:
                sim.conc[f][a:b] = rng.uniform(0, 0.02) * sim.conc[f][a:b]
    # daily zero/span calibration (some points): zero gas (may read slightly negative), then span
    if sp.kind == "gas" and rng.random() < 0.5:
        at = int(rng.integers(1, 23))
        for d in range(days):
            if sim.busy[d * 24 + at]:
                continue
            a = (d * 24 + at) * 60 + int(rng.integers(0, 20))
            n = int(rng.integers(*lk["cal_minutes"]))
            sim.flags[a:a + n] = "C"
            sim.busy[(a // 60):(a + n) // 60 + 1] = True
            for f in sim.conc:
                sim.conc[f][a:a + n // 2] = rng.normal(0, 0.3, n // 2)
                sim.conc[f][a + n // 2:a + n] = sp.limits[f] * rng.uniform(1.5, 2.5)
    # slow calibration drift of one factor (±3–8 % over the dump)
    if rng.random() < 0.3 and not sim.near:  # type: ignore[attr-defined]
        f = list(sim.conc)[int(rng.integers(len(sim.conc)))]
        sim.conc[f] *= np.linspace(1, 1 + rng.choice([-1, 1]) * rng.uniform(*lk["drift"]), m)
    # low-load periods: everything moves together, flow falls, O2 rises
    for _ in range(int(rng.integers(0, 3))):
        dur = int(rng.integers(3, 9))
        s = _free(sim, rng, dur, margin=3, first=26)
        if s is None:
            continue
        a, b = s * 60, (s + dur) * 60
        k = rng.uniform(0.35, 0.65)
        edge = np.ones(b - a)
        edge[:30] = np.linspace(1, k, 30)
        edge[30:] = k
        edge[-30:] = np.linspace(k, 1, 30)
        for f in sim.conc:
            sim.conc[f][a:b] *= edge
        for key in ("a00000", "w00000"):
            if key in sim.aux:
                sim.aux[key][a:b] *= edge
        if "a19001" in sim.aux:
            sim.aux["a19001"][a:b] += (1 - edge) * rng.uniform(3.0, 6.0)   # less fuel, same air
        for (_mmn, f), v in sim.meters.items():
            if f == "e10001":
                v[a:b] *= edge
    # network outage back-filled later, random dropped samples, interval change mid-dump
    if rng.random() < lk["late_share"]:
        s = int(rng.integers(0, days * 24 - 6))
        sim.late[s * 60:(s + int(rng.integers(*lk["late_hours"]))) * 60] = True
    sim.present &= rng.random(m) > 0.005
    if sp.interval != 60 and days >= 3 and rng.random() < 0.2:
        d = int(rng.integers(1, days))
        sim.interval_at[d:] = int(rng.choice([x for x in (1, 5, 10) if x != sp.interval]))


# ------------------------------------------------------------------------------ violations

def _label(labels, sim, factor, kind, day0, s_h, e_h, magnitude):
    labels.append({"mn": sim.spec.mn, "factor": factor, "detector": kind,
                   "start": (day0 + timedelta(hours=int(s_h))).isoformat(),
                   "end": (day0 + timedelta(hours=int(e_h))).isoformat(), "magnitude": round(float(magnitude), 5)})


def inject(sims: list[Sim], days: int, counts: dict[str, int], rng, day0: datetime, ranges: str = "detect") -> list[dict]:
    labels: list[dict] = []
    rr = RANGES[ranges]
    for kind in KINDS:
        done = 0
        for _ in range(counts.get(kind, 0) * 30):
            if done >= counts.get(kind, 0):
                break
            sim = sims[int(rng.integers(len(sims)))]
            if _inject_one(sim, kind, rr[kind], sims, days, rng, day0, labels):
                done += 1
    return labels


def _inject_one(sim: Sim, kind: str, rng_m: tuple, sims, days, rng, day0, labels) -> bool:
    sp = sim.spec
    lo, hi = rng_m
    factor = list(sim.conc)[int(rng.integers(len(sim.conc)))]
    limit = sp.limits[factor]
    if kind == "exceedance" and sp.standard.startswith("GB 18485") and rng.random() < 0.4:
        # start-up marks (F) held while the incinerator emits over the limit for longer than GB 18485-2014
        # allows (4 hours per start-up/fault): the hours past the fourth are an exceedance
        allowed = 4
        n = int(rng.integers(allowed + 1, allowed + 7))
        s = _free(sim, rng, n, first=2)
        if s is None:
            return False
        mag = rng.uniform(max(lo, 1.05), hi)
        a, b = s * 60, (s + n) * 60
        sim.flags[a:b] = "F"
        for f in sim.conc:
            sim.conc[f][a:b] = np.maximum(sim.conc[f][a:b], 0)
        sim.conc[factor][a:b] = mag * limit * (1 + rng.normal(0, 0.02, b - a))
        _label(labels, sim, factor, kind, day0, s + allowed, s + n, mag)
        if sp.meters:                            # marked as stopped while production draws power: that too
            _label(labels, sim, "e10001", "power_mismatch", day0, s, s + n, 0)
        return True
    if kind == "exceedance":
        n = int(rng.integers(1, 7))
        s = _free(sim, rng, n, first=2)
        if s is None:
            return False
        mag = rng.uniform(lo, hi)
        a, b = s * 60, (s + n) * 60
        sim.conc[factor][a:b] = mag * limit * (1 + rng.normal(0, 0.02, b - a))
        if mag > 1:
            _label(labels, sim, factor, kind, day0, s, s + n, mag)
        return True
    if kind == "flatline":
        n = int(round(rng.uniform(lo, hi)))
        s = _free(sim, rng, n, first=2)
        if s is None:
            return False
        a, b = s * 60, (s + n) * 60
        jitter = rng.uniform(0, 0.0004)
        v = round(float(sim.conc[factor][a]), 2)
        sim.conc[factor][a:b] = v * (1 + rng.uniform(-jitter, jitter, b - a))
        if sp.kind == "gas":                     # a frozen value: the corrected one too (O2 frozen as well)
            sim.aux["a19001"][a:b] = round(float(sim.aux["a19001"][a]), 1)
        sim.flat.setdefault(factor, []).append((s, s + n))
        _label(labels, sim, factor, kind, day0, s, s + n, n)
        return True
    if kind == "near_limit":
        s = _free(sim, rng, 24, margin=2, whole_day=True)
        if s is None:
            return False
        if float(np.median(sim.conc[factor])) < 0.5 * limit and not sim.near:  # type: ignore[attr-defined]
            sim.busy[s:s + 24] = False          # held just below the limit where the true level is not far below it
            return False
        cv = rng.uniform(lo, hi)
        target = limit * rng.uniform(0.9, 0.96)
        hourly = np.minimum(target * (1 + rng.normal(0, cv, 24)), 0.995 * limit)
        a = s * 60
        sim.conc[factor][a:a + DAY] = np.repeat(hourly, 60) * (1 + rng.normal(0, 0.004, DAY))
        _label(labels, sim, factor, kind, day0, s, s + 24, cv)
        return True
    if kind == "sudden_drop":
        n = int(rng.integers(2, 9))
        s = _free(sim, rng, n, first=30)
        if s is None:
            return False
        share = rng.uniform(lo, hi)
        a, b = s * 60, (s + n) * 60
        sim.conc[factor][a:b] *= share
        _label(labels, sim, factor, kind, day0, s, s + n, share)
        return True
    if kind == "flag_abuse":
        if rng.random() < 0.5:                   # too many maintenance hours, values untouched
            n = int(round(rng.uniform(lo, hi)))
            s = _free(sim, rng, n, first=2)
            if s is None or (s % 24) + n > 24:
                return False
            sim.flags[s * 60:(s + n) * 60] = rng.choice(["M", "D"])
            _label(labels, sim, "*", kind, day0, s, s + n, n)
            return True
        n = int(rng.integers(1, 5))              # marks laid over an exceedance
        s = _free(sim, rng, n, first=2)
        if s is None:
            return False
        a, b = s * 60, (s + n) * 60
        sim.conc[factor][a:b] = limit * rng.uniform(1.3, 2.5) * (1 + rng.normal(0, 0.03, b - a))
        sim.flags[a:b] = rng.choice(["M", "C", "D"])
        if sp.kind == "gas":                     # judged on raw: make raw clearly above the limit too
            sim.conc[factor][a:b] *= max(1.0, (21 - sp.ref_o2) / (21 - float(np.mean(sim.aux["a19001"][a:b]))))
        _label(labels, sim, factor, kind, day0, s, s + n, n)
        return True
    if kind == "missing_data":
        n = int(round(rng.uniform(lo, hi)))
        s = _free(sim, rng, n, first=2)
        if s is None:
            return False
        sim.present[s * 60:(s + n) * 60] = False
        _label(labels, sim, "*", kind, day0, s, s + n, n)
        return True
    if kind == "o2_dilution":
        if sp.kind != "gas":
            return False
        n = int(rng.integers(2, 7))
        s = _free(sim, rng, n, first=26)
        if s is None:
            return False
        a, b = s * 60, (s + n) * 60
        if rng.random() < 0.5:                   # dilution air: O2 up, flow up, raw concentrations down
            rise = rng.uniform(lo, hi)
            old = sim.aux["a19001"][a:b].copy()
            new = old + rise
            new = np.where(new > 20.0, 19.7 + rng.normal(0, 0.12, len(new)).clip(-0.3, 0.3), new)  # never a flat cap
            sim.aux["a19001"][a:b] = new
            sim.aux["a00000"][a:b] *= (21 - old) / (21 - new)
            _label(labels, sim, "a19001", kind, day0, s, s + n, float(np.mean(new - old)))
        else:                                    # corrected values not computed from raw and O2
            k = rng.uniform(0.5, 0.88)              # the reported corrected value lowered
            sim.zs_scale.setdefault(factor, np.ones(days * DAY))[a:b] = k
            _label(labels, sim, factor, kind, day0, s, s + n, abs(k - 1))
        return True
    if kind == "duplicate_pattern":
        s = _free(sim, rng, 24, margin=1, whole_day=True, first=24)
        if s is None:
            return False
        d = s // 24
        noise = rng.uniform(lo, hi)
        own = float(np.median(_raw(sim, factor)))   # another point's data at about this point's level
        peers = [o for o in sims if o is not sim and factor in o.spec.limits
                 and abs(float(np.median(_raw(o, factor))) / max(own, 1e-9) - 1) < 0.15]
        if rng.random() < 0.6 or not peers:
            src = sim
        else:
            src = peers[int(rng.integers(len(peers)))]
        sd = int(rng.integers(max(0, d - 7), d))     # a recent day (the detector keeps 7 days)
        if src.busy[sd * 24:(sd + 1) * 24].any() or (src.flags[sd * DAY:(sd + 1) * DAY] != "N").any():
            sim.busy[s:s + 24] = False
            return False
        raw = _raw(src, factor)[sd * DAY:(sd + 1) * DAY] * (1 + rng.normal(0, noise, DAY))
        if rng.random() < 0.3:
            raw = np.round(raw, 1)
        judged = raw
        if sp.ref_o2 is not None:                # the copy is corrected with this point's own O2
            judged = raw * (21 - sp.ref_o2) / (21 - np.minimum(sim.aux["a19001"][d * DAY:(d + 1) * DAY], 20.5))
        if judged.reshape(24, 60).mean(axis=1).max() > 0.95 * limit:   # a copy, not an exceedance as well
            sim.busy[s:s + 24] = False
            return False
        sim.raw_override.setdefault(factor, np.full(days * DAY, np.nan))[d * DAY:(d + 1) * DAY] = raw
        src.busy[sd * 24:(sd + 1) * 24] = True
        _label(labels, sim, factor, kind, day0, s, s + 24, noise)
        return True
    if kind == "out_of_range":
        s = _free(sim, rng, 1, margin=2, first=2)
        if s is None:
            return False
        k = int(rng.choice([1, 1, 2, 5, 30, 60]))
        a = s * 60 + int(rng.integers(0, 60 - k + 1))
        depth = rng.uniform(lo, hi)
        choice = rng.random()
        if sp.kind == "water" and choice < 0.3:
            f, vals = "w01001", 14 + depth
        else:
            f, vals = factor, -depth
        if f in sim.aux:
            sim.aux[f][a:a + k] = vals
        else:
            sim.raw_override.setdefault(f, np.full(days * DAY, np.nan))[a:a + k] = vals
        # a single sample must survive sampling at the point's interval: spread it over one interval
        iv = int(sim.interval_at[s // 24])
        sim.present[(a // iv) * iv:a + k + iv] = True      # the impossible sample reached the platform
        if iv > 1:
            lo_i = (a // iv) * iv
            if f in sim.aux:
                sim.aux[f][lo_i:lo_i + iv] = vals
            else:
                sim.raw_override[f][lo_i:lo_i + iv] = vals
        _label(labels, sim, f, kind, day0, s, s + 1, depth)
        return True
    if kind == "power_mismatch":
        if not sp.meters:
            return False
        n = int(rng.integers(2, 9))
        s = _free(sim, rng, n, first=2)
        if s is None:
            return False
        a, b = s * 60, (s + n) * 60
        if rng.random() < 0.6:
            share = rng.uniform(lo, hi)
            key = next(k for k in sim.meters if k[1] == "e10002")
            sim.meters[key][a:b] *= share
            _label(labels, sim, "e10002", kind, day0, s, s + n, share)
        else:                                    # emission data claim a stop while production runs
            sim.flags[a:b] = "F"
            for f in sim.conc:
                sim.conc[f][a:b] *= 0.02
            _label(labels, sim, "e10001", kind, day0, s, s + n, 0)
        return True
    if kind == "aggregate_mismatch":
        if sp.interval == 60 or not sp.device_hourly:
            return False
        k = rng.uniform(lo, hi)
        k = 1 - k if rng.random() < 0.7 else 1 + k
        if rng.random() < 0.3:                   # the daily (2031) value altered, hourly values left as they are
            s = _free(sim, rng, 24, margin=0, whole_day=True, first=0)
            if s is None:
                return False
            sim.day_scale.setdefault(factor, np.ones(days))[s // 24] = k
            _label(labels, sim, factor, kind, day0, s, s + 24, abs(k - 1))
            return True
        n = int(rng.integers(1, 5))
        s = _free(sim, rng, n, first=2)
        if s is None:
            return False
        sim.dev_scale.setdefault(factor, np.ones(days * 24))[s:s + n] = k
        _label(labels, sim, factor, kind, day0, s, s + n, abs(k - 1))
        return True
    raise ValueError(kind)


# ------------------------------------------------------------------------------ output

def _raw(sim: Sim, factor: str) -> np.ndarray:
    """Measured (实测) values: gas concentrations are true corrected values brought back to the
    measured oxygen; copied data and impossible values are set as raw directly."""
    if factor in sim.aux:
        return sim.aux[factor]
    c = sim.conc[factor]
    if sim.spec.ref_o2 is not None:
        o2 = np.minimum(sim.aux["a19001"], 20.5)
        c = c * (21 - o2) / (21 - sim.spec.ref_o2)
    ov = sim.raw_override.get(factor)
    if ov is not None:
        c = np.where(np.isnan(ov), c, ov)
    return c


def _sample(x: np.ndarray, idx: np.ndarray, iv: np.ndarray) -> np.ndarray:
    """The logger's value at each sample: the average of the interval it closes."""
    cs = np.concatenate([[0.0], np.cumsum(x)])
    return (cs[idx + iv] - cs[idx]) / iv


def _flags_at(flags: np.ndarray, idx: np.ndarray, iv: np.ndarray) -> np.ndarray:
    out = flags[idx].copy()
    for k in (1, 3, 5, 9):                     # any non-N minute inside the interval marks the sample
        j = np.minimum(idx + np.minimum(k, iv - 1), len(flags) - 1)
        other = flags[j]
        out = np.where((out == "N") & (other != "N"), other, out)
    return out


def tables(sims: list[Sim], days: int, day0: datetime, rng, resend_share: float = 0.01) -> list[pa.Table]:
    cols: dict[str, list] = {k: [] for k in ("mn", "factor", "data_time", "kind", "value", "min", "max",
                                               "zs_value", "flag", "received_at", "backfill", "cn")}
    base = np.datetime64(day0, "us")

    def add(mn, factor, kind, times_min, value, vmin, vmax, zs, flag, late):
        n = len(value)
        if not n:
            return
        t = base + times_min.astype("int64") * np.timedelta64(60, "s")
        rec = t + np.where(late, np.timedelta64(7, "h"), np.timedelta64(30, "s")).astype("timedelta64[us]")
        zeros = pa.array(np.zeros(n, dtype=np.int32))
        for k, v in (("mn", mn), ("factor", factor), ("kind", kind),
                     ("cn", {"minute": "2051", "hour": "2061", "day": "2031"}[kind])):
            cols[k].append(pa.array([v], pa.string()).take(zeros))
        cols["data_time"].append(pa.array(t, pa.timestamp("us")))
        cols["received_at"].append(pa.array(rec, pa.timestamp("us")))
        cols["backfill"].append(pa.array(late, pa.bool_()))
        for k, v in (("value", value), ("min", vmin), ("max", vmax), ("zs_value", zs)):
            cols[k].append(pa.array(np.round(v, 3) if v is not None else np.full(n, np.nan), pa.float64(),
                                    from_pandas=True))
        cols["flag"].append(pa.array(flag, pa.string()))

    m = days * DAY
    for sim in sims:
        sp = sim.spec
        # sample indices at each day's interval
        idx_l, iv_l = [], []
        for d in range(days):
            iv = int(sim.interval_at[d]) if sp.interval != 60 else 60
            ii = np.arange(d * DAY, (d + 1) * DAY, iv)
            idx_l.append(ii)
            iv_l.append(np.full(len(ii), iv))
        idx, ivs = np.concatenate(idx_l), np.concatenate(iv_l)
        keep = sim.present[idx]
        idx, ivs = idx[keep], ivs[keep]
        series = {f: _raw(sim, f) for f in list(sim.conc) + list(sim.aux)}
        o2 = np.minimum(series["a19001"], 20.5) if "a19001" in series else None
        hours = np.arange(days * 24)
        hour_present = sim.present.reshape(-1, 60).mean(axis=1) > 0.5
        for f, raw in series.items():
            flags = sim.fflags.get(f, sim.flags)
            zs_min = None
            if sp.ref_o2 is not None and f in sim.conc:
                zs_min = raw * (21 - sp.ref_o2) / (21 - o2) * sim.zs_scale.get(f, 1.0)
            if sp.interval != 60:
                v = _sample(raw, idx, ivs)
                zs = _sample(zs_min, idx, ivs) if zs_min is not None else None
                fl = _flags_at(flags, idx, ivs)
                add(sp.mn, f, "minute", idx, v, None, None, zs, fl, sim.late[idx])
            if sp.device_hourly:
                hv = raw.reshape(-1, 60)
                okm = flags.reshape(-1, 60) == "N"          # the device averages its valid minutes
                cnt = np.maximum(okm.sum(axis=1), 1)
                none = okm.sum(axis=1) == 0                 # a wholly flagged hour: the flagged values
                true_avg = np.where(none, hv.mean(axis=1), np.where(okm, hv, 0).sum(axis=1) / cnt)
                avg = true_avg * sim.dev_scale.get(f, 1.0)
                vmin = np.where(okm, hv, np.inf).min(axis=1)
                vmax = np.where(okm, hv, -np.inf).max(axis=1)
                vmin = np.where(np.isfinite(vmin), vmin, hv.min(axis=1))
                vmax = np.where(np.isfinite(vmax), vmax, hv.max(axis=1))
                for s, e in sim.flat.get(f, []):
                    vmin[s:e] = vmax[s:e] = avg[s:e]
                zs_true = (np.where(none, zs_min.reshape(-1, 60).mean(axis=1),
                                    np.where(okm, zs_min.reshape(-1, 60), 0).sum(axis=1) / cnt)
                           if zs_min is not None else None)
                zs = zs_true * sim.dev_scale.get(f, 1.0) if zs_true is not None else None
                bad = (flags.reshape(-1, 60) != "N")
                nbad = bad.sum(axis=1)
                first_bad = np.where(nbad > 15, flags.reshape(-1, 60)[np.arange(days * 24), bad.argmax(axis=1)], "N")
                sel = hour_present
                add(sp.mn, f, "hour", hours[sel] * 60, avg[sel], vmin[sel], vmax[sel],
                    zs[sel] if zs is not None else None, first_bad[sel], np.zeros(int(sel.sum()), bool))
                valid_h = (nbad <= 15) & hour_present
                dv, dz = [], []
                for d in range(days):
                    ok = valid_h[d * 24:(d + 1) * 24]
                    dv.append(true_avg[d * 24:(d + 1) * 24][ok].mean() if ok.sum() >= 20 else np.nan)
                    dz.append(zs_true[d * 24:(d + 1) * 24][ok].mean() if zs is not None and ok.sum() >= 20 else np.nan)
                dv_a = np.array(dv) * sim.day_scale.get(f, 1.0)
                okd = ~np.isnan(dv_a)
                add(sp.mn, f, "day", (np.arange(days) * DAY)[okd], dv_a[okd], None, None,
                    (np.array(dz) * sim.day_scale.get(f, 1.0))[okd] if zs is not None else None, np.array(["N"] * int(okd.sum()), dtype=object),
                    np.zeros(int(okd.sum()), bool))
        for (mmn, f), v in sim.meters.items():
            iv = 15 if sp.interval == 60 else sp.interval
            ii = np.arange(0, m, iv)
            ii = ii[sim.present[ii]]
            add(mmn, f, "minute", ii, _sample(v, ii, np.full(len(ii), iv)), None, None, None,
                np.array(["N"] * len(ii), dtype=object), np.zeros(len(ii), bool))
    arrays = {k: pa.concat_arrays(v) for k, v in cols.items() if v}
    n = len(arrays["mn"])
    full = {}
    for f in lake.SCHEMA:
        full[f.name] = arrays[f.name] if f.name in arrays else (
            pa.array(["2017"] * n, pa.string()) if f.name == "edition" else pa.nulls(n, f.type))
    t = pa.table(full, schema=lake.SCHEMA)
    # re-sent packets: ~1 % of rows again, received later (the first copy counts)
    dup = np.nonzero(rng.random(n) < resend_share)[0]
    if len(dup):
        again = t.take(pa.array(dup))
        again = again.set_column(again.schema.get_field_index("received_at"), "received_at",
                                 pa.compute.add(again["received_at"], pa.scalar(timedelta(hours=2), pa.duration("us"))))
        return [t, again]
    return [t]


def limits_for(specs: list[Spec]) -> Limits:
    table: dict = {}
    links: dict = {}
    standards: dict = {}
    for s in specs:
        table[s.mn] = {c: (lim, s.ref_o2) for c, lim in s.limits.items()}
        standards.update({(s.mn, c): s.standard for c in s.limits if s.standard})
        if s.kind == "gas":
            table[s.mn]["a19001"] = (None, None)
        if s.meters:
            links[s.mn] = list(s.meters)
    return Limits(table, links, standards)


def generate(root: Path, *, points: int, days: int, start: date, seed: int, counts: dict[str, int],
             prefix: str = "ADV", ranges: str = "detect", mix: dict | None = None, specs: list[Spec] | None = None,
             label_file: Path | None = None, legit_events: bool = True, looks: str = "default"
             ) -> tuple[list[Spec], list[dict], Limits]:
    rng = np.random.default_rng(seed)
    lk = LOOKS[looks]
    day0 = datetime.combine(start, datetime.min.time())
    specs = specs or make_specs(points, rng, prefix, mix)
    sims = []
    for sp in specs:
        sims.append(simulate(sp, days, rng, near_limit_plant=rng.random() < lk["near_share"], looks=lk))
    if legit_events:
        for sim in sims:
            legit(sim, rng, days, lk)
    labels = inject(sims, days, counts, rng, day0, ranges)
    for b in range(0, len(sims), 100):            # bounded memory: a hundred points at a time
        for i, t in enumerate(tables(sims[b:b + 100], days, day0, rng, lk["resend_share"])):
            lake.write_rows(root, t, prefix=f"adv{seed}-{b}-{i}")
    if label_file is not None:
        label_file.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in labels), encoding="utf-8")
    return specs, labels, limits_for(specs)


def parse_inject(spec: str) -> dict[str, int]:
    """'exceedance=3,flatline=2' or 'all=2'."""
    out: dict[str, int] = {}
    for part in filter(None, (s.strip() for s in spec.split(","))):
        k, _, v = part.partition("=")
        n = int(v or 1)
        if k == "all":
            out.update({x: n for x in KINDS})
        elif k in KINDS:
            out[k] = n
        else:
            raise ValueError(f"未知的检测器 {k}（可选：{', '.join(KINDS)}，或 all）")
    return out
