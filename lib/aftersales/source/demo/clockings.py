"""The demo's technicians and their clock cards: sizing the workforce, giving every labour line worked a
technician (balancing each day's load by capacity), and the clockings (job time equals the time taken,
idle clockings fill the rest of the shift).

Technicians belong to a branch and a department: a *pool* (``branch * 3 + department``). A line is worked
by technicians of its job's pool, and their clockings carry the branch. A pool has two technicians at
least (a split line needs two); where its work does not fill two, they work part time (four hours a day
at least).
"""

from __future__ import annotations

import math

import numpy as np

from aftersales.source.demo.arrays import _BIG_DAY, _UNASSIGNED, _cat, _group_excl_cumsum, _within
from aftersales.source.demo.base import _TECH_LOAD_HOURS, _Base
from aftersales.source.demo.names import (
    _B,
    _DESCRIPTIONS,
    _FIRST_NAMES,
    _IDLE,
    _IDLE_NONPROD,
    _IDLE_PROD,
    _LAST_NAMES,
    _REASONS,
    _TASK_COUNT,
    _TASK_START,
    _TASK_TEXT,
    _W,
)


class _Clockings(_Base):
    """Technicians (``tech_*``, sized from the first month) and their clockings, one month at a time."""

    # --------------------------------------------------------- technicians
    def _make_techs(self, i: int) -> None:
        """Size each branch's workforce from the first month's work (hours per workshop day, two at least)."""
        rng = self.rng
        ms, me, _ = self.months[i]
        nd = int(((self.bdays >= ms) & (self.bdays <= me)).sum())
        L = self.lab_buf
        first = (L["orig"] < 0) & (L["tech"] == _UNASSIGNED)
        pool = L["br"][first].astype(np.int64) * 3 + L["dept"][first]
        hours = np.bincount(pool, weights=L["hours"][first] * L["contrib"][first] / 100, minlength=3 * self.NB)
        dept, branch, shift = [], [], []
        for b in range(self.NB):
            for d in (_W, _B):
                if d == _B and not self.body_p[b] > 0:
                    continue  # no bodyshop in this branch
                need = hours[b * 3 + d] / nd / (_TECH_LOAD_HOURS * 0.95)  # full-time technicians the work needs
                k = max(2, int(math.ceil(need)))
                dept += [d] * k
                branch += [b] * k
                shift += [480.0 * (1.0 if k > 2 else float(np.clip(need / 2, 0.5, 1.0)))] * k
        n = len(dept)
        self.tech_dept = np.array(dept, dtype=np.int8)
        self.tech_branch = np.array(branch, dtype=np.int64)
        self.tech_pool = self.tech_branch * 3 + self.tech_dept
        self.tech_shift = np.round(np.array(shift) / 6) * 6  # minutes attended on a normal day
        width = max(2, len(str(n)))
        self.tech_codes = [f"T{k + 1:0{width}d}" for k in range(n)]
        initials = [""] + [f"{chr(65 + j)}. " for j in range(26)]
        total = len(_FIRST_NAMES) * len(_LAST_NAMES) * len(initials)
        pick = rng.choice(total, n, replace=False)
        names = []
        for p in pick:
            a, rest = divmod(int(p), len(_LAST_NAMES) * len(initials))
            b, c = divmod(rest, len(_LAST_NAMES))
            names.append(f"{_FIRST_NAMES[a]} {initials[b]}{_LAST_NAMES[c]}")
        self.tech_names = names
        self.tech_cap = rng.uniform(0.75, 1.2, n)
        self.tech_cph = np.round(rng.uniform(22.0, 42.0, n) * 5) / 5  # multiples of 0.20: costs in whole cents
        self.tech_flat = (rng.random(n) < 0.25).astype(np.int8)
        self.techs = n

    def _assign(self, i: int, final: bool) -> dict:
        """Give a technician to every line worked this month; return their clock segments."""
        rng = self.rng
        if self.techs is None:
            self._make_techs(i)
        ms, me, _ = self.months[i]
        L = self.lab_buf
        wdays = self.bdays[(self.bdays >= ms) & (self.bdays <= me)]
        nd = len(wdays)
        present = rng.random((nd, self.techs)) >= 0.05
        caps = self.tech_cap[None, :] * present
        self._level(wdays, caps, me)
        sel = np.flatnonzero((L["tech"] == _UNASSIGNED) & (L["orig"] < 0) & (L["work"] <= me))
        first = sel[L["part2"][sel] == 0]
        first_pool = L["br"][first].astype(np.int64) * 3 + L["dept"][first]
        first = first[np.argsort(first_pool, kind="stable")]
        bounds = np.searchsorted(np.sort(first_pool), np.arange(3 * self.NB + 1))
        for pool in np.unique(self.tech_pool):
            techs = np.flatnonzero(self.tech_pool == pool)
            nt = len(techs)
            c = caps[:, techs].copy()
            none = c.sum(axis=1) == 0
            c[none, 0] = 1.0
            present[none, techs[0]] = True
            cum = np.cumsum(c, axis=1) / c.sum(axis=1, keepdims=True)
            flat_cum = (cum + np.arange(nd)[:, None]).ravel()
            rows = first[bounds[pool]:bounds[pool + 1]]
            if not len(rows):
                continue
            di = np.searchsorted(wdays, L["work"][rows])
            order = np.lexsort((rng.random(len(rows)), di))
            rows, di = rows[order], di[order]
            h = L["hours"][rows]
            new = np.r_[True, di[1:] != di[:-1]]
            before = _group_excl_cumsum(h, new)
            gid = np.cumsum(new) - 1
            total = np.bincount(gid, weights=h)[gid]
            frac = (before + h / 2) / total
            slot = np.searchsorted(flat_cum, frac + di, side="right") - di * nt
            slot = np.clip(slot, 0, nt - 1)
            L["tech"][rows] = techs[slot]
            # second technician of a split line: half-way round the staff list
            nxt = np.minimum(rows + 1, len(L["uid"]) - 1)
            two = np.flatnonzero((nxt != rows) & (L["part2"][nxt] == 1) & (L["line_uid"][nxt] == L["line_uid"][rows]))
            if len(two):
                slot2 = np.searchsorted(flat_cum, (frac[two] + 0.5) % 1.0 + di[two], side="right") - di[two] * nt
                slot2 = np.clip(slot2, 0, nt - 1)
                slot2 = np.where(slot2 == slot[two], (slot[two] + 1) % nt, slot2)
                L["tech"][rows[two] + 1] = techs[slot2]
        if final:  # lines not started yet: planned for a technician of the department
            later = np.flatnonzero((L["tech"] == _UNASSIGNED) & (L["orig"] < 0))
            later_pool = L["br"][later].astype(np.int64) * 3 + L["dept"][later]
            for pool in np.unique(self.tech_pool):
                techs = np.flatnonzero(self.tech_pool == pool)
                m = later[later_pool == pool]
                L["tech"][m] = techs[rng.integers(0, len(techs), len(m))]
                two = m[(L["part2"][m] == 1)]
                clash = two[L["tech"][two] == L["tech"][two - 1]]
                pos = np.searchsorted(techs, L["tech"][clash])
                L["tech"][clash] = techs[(pos + 1) % len(techs)]
            sel = np.concatenate([sel, later])
        L["cph"][sel] = self.tech_cph[L["tech"][sel]]
        L["flat"][sel] = self.tech_flat[L["tech"][sel]]
        # credit lines take the technician, cost and flat rate of the line they reverse
        cr = np.flatnonzero((L["tech"] == _UNASSIGNED) & (L["orig"] >= 0))
        if len(cr):
            sorter = np.argsort(L["uid"], kind="stable")
            pos = np.clip(np.searchsorted(L["uid"], L["orig"][cr], sorter=sorter), 0, len(sorter) - 1)
            src = sorter[pos]
            ok = (L["uid"][src] == L["orig"][cr]) & (L["tech"][src] != _UNASSIGNED)
            cr, src = cr[ok], src[ok]
            for col in ("tech", "cph", "flat"):
                L[col][cr] = L[col][src]
        self.presence = (wdays, present)
        seg = sel[(L["work"][sel] <= me) & (L["hours"][sel] > 0)]
        lt = L["lt"][seg]
        return {
            "tech": L["tech"][seg], "day": L["work"][seg],
            "dur": np.round(L["hours"][seg] * 60 * L["contrib"][seg] / 100).astype(np.int64),
            "wip": L["wip"][seg], "line_no": L["line_no"][seg],
            "desc": (_TASK_START[lt] + L["line_uid"][seg] % _TASK_COUNT[lt]).astype(np.int64),
        }

    def _level(self, wdays: np.ndarray, caps: np.ndarray, me: int) -> None:
        """Move work that does not fit a day's capacity to the next working day.

        A line only moves while the next day is on or before its job's invoice
        date (work in progress may move past as_of: then it is not started yet).
        """
        L = self.lab_buf
        rows = np.flatnonzero((L["tech"] == _UNASSIGNED) & (L["orig"] < 0) & (L["work"] <= me)
                              & (L["part2"] == 0))
        if not len(rows):
            return
        nd = len(wdays)
        cap_h = np.zeros((3 * self.NB, nd))
        np.add.at(cap_h, self.tech_pool, (caps * self.tech_shift / 480 * 8.5).T)
        tie = self.rng.random(len(rows))
        for _ in range(40):
            live = L["work"][rows] <= me
            r, t = rows[live], tie[live]
            di = np.searchsorted(wdays, L["work"][r])
            pool = L["br"][r].astype(np.int64) * 3 + L["dept"][r]
            order = np.lexsort((t, di, pool))
            r, di, pool = r[order], di[order], pool[order]
            h = L["hours"][r]
            new = np.r_[True, (di[1:] != di[:-1]) | (pool[1:] != pool[:-1])]
            before = _group_excl_cumsum(h, new)
            nxt_day = self.bdays[np.searchsorted(self.bdays, L["work"][r]) + 1]
            move = (before > 0) & (before + h > cap_h[pool, di]) & (nxt_day <= L["inv"][r])
            if not move.any():
                break
            L["work"][r[move]] = nxt_day[move]
        # the second technician's row of a split line follows its first row
        nxt = np.minimum(rows + 1, len(L["uid"]) - 1)
        pair = (nxt != rows) & (L["part2"][nxt] == 1) & (L["line_uid"][nxt] == L["line_uid"][rows])
        L["work"][nxt[pair]] = L["work"][rows[pair]]
        # pushed beyond as_of: not started yet
        late = np.flatnonzero((L["orig"] < 0) & (L["tech"] == _UNASSIGNED) & (L["work"] > self.a)
                              & (L["work"] < _BIG_DAY))
        L["work"][late] = _BIG_DAY
        L["hours"][late] = 0.0
        L["taken"][late] = 0.0

    def _clockings(self, i: int, seg: dict, final: bool) -> None:
        rng = self.rng
        wdays, present = self.presence
        nt = self.techs
        pd_, pt = np.nonzero(present)
        td = np.unique(np.concatenate([(seg["day"] - self.d0) * nt + seg["tech"],
                                       (wdays[pd_] - self.d0) * nt + pt]))
        n_td = len(td)
        seg_td = np.searchsorted(td, (seg["day"] - self.d0) * nt + seg["tech"])
        load = np.bincount(seg_td, weights=seg["dur"], minlength=n_td)
        target = self.tech_shift[td % nt].astype(np.int64) + 6 * rng.integers(-5, 6, n_td)  # ± half an hour
        idle = np.where(load < target, target - load, rng.choice([0, 6, 12, 18], n_td)).astype(np.int64)
        split_idle = idle >= 30
        first_part = np.where(split_idle, np.round(idle * rng.uniform(0.2, 0.8, n_td)), idle).astype(np.int64)
        n_idle = np.where(idle >= 3, 1 + split_idle, 0)
        it = np.repeat(np.arange(n_td), n_idle)
        k = _within(n_idle)
        idur = np.where(k == 0, first_part[it], idle[it] - first_part[it])
        prod = rng.random(len(it)) < 0.55
        code = np.where(prod, rng.choice(_IDLE_PROD, len(it)), rng.choice(_IDLE_NONPROD, len(it)))
        ns, ni = len(seg_td), len(it)
        g = np.concatenate([seg_td, it])
        dur = np.concatenate([seg["dur"], idur])
        order = np.lexsort((rng.random(ns + ni), g))
        g, dur = g[order], dur[order]
        is_job = order < ns
        new = np.r_[True, g[1:] != g[:-1]]
        off = _group_excl_cumsum(dur, new)
        off = off + np.where(off >= 240, 30, 0)  # lunch break
        last = np.r_[g[1:] != g[:-1], True]
        span = np.zeros(n_td, dtype=np.int64)
        span[g[last]] = off[last] + dur[last]
        start = 450 + rng.integers(0, 61, n_td)
        start = np.maximum(np.minimum(start, 23 * 60 - span), 0)
        day = td // nt + self.d0
        if i in (self.M // 3, (2 * self.M) // 3) and not final:
            # a Friday late shift (breakdown recovery) whose last clocking runs across
            # midnight; it is an idle one where possible, so no job work is clocked
            # after the day its job was invoiced, and no shift follows on Saturday
            last_idle = np.zeros(n_td, dtype=bool)
            last_idle[g[last]] = ~is_job[last]
            ok = (span >= 300) & (span <= 660) & (self.wd[day - self.d0] == 4) & (day + 1 < self.a)
            cand = np.flatnonzero(ok & last_idle)
            if not len(cand):
                cand = np.flatnonzero(ok)
            if len(cand):
                pick = cand[len(cand) // 2]
                k = np.flatnonzero(last & (g == pick))[0]
                start[pick] = 24 * 60 - (off[k] + dur[k] // 2)
        tech = td % nt
        cin = (day[g] * 1440 + start[g] + off) * 60
        cout = cin + dur * 60
        if final:  # one or two technicians still clocked on at as_of
            today = np.flatnonzero(day == self.a)
            if len(today):
                still = rng.choice(today, min(2, len(today)), replace=False)
                open_ = last & np.isin(g, still)
                cout = np.where(open_, -1, cout)
        jo = order[is_job]
        io = order[~is_job] - ns
        n = ns + ni
        wip = np.full(n, -1, dtype=np.int64)
        wip[is_job] = seg["wip"][jo]
        line_no = np.full(n, -1, dtype=np.int64)
        line_no[is_job] = seg["line_no"][jo]
        idle_code = np.full(n, -1, dtype=np.int64)
        idle_code[~is_job] = code[io]
        idle_prod = np.full(n, -1, dtype=np.int8)
        idle_prod[~is_job] = prod[io]
        desc = np.full(n, -1, dtype=np.int64)
        desc[is_job] = seg["desc"][jo]
        desc[~is_job] = len(_TASK_TEXT) + code[io]
        u = rng.random(n)
        reason = np.where(is_job, np.select([u < 0.65, u < 0.75, u < 0.8, u < 0.9], [0, 1, 2, 3], -1),
                          np.where(last & (u < 0.3), 3, -1))
        tcode = tech[g]
        self.store.insert("clockings", {
            "technician": _cat(tcode, self.tech_codes), "technician_name": _cat(tcode, self.tech_names),
            "clock_in": cin, "clock_out": cout, "wip_no": wip, "line_no": line_no,
            "idle_code": _cat(idle_code, _IDLE), "idle_productive": idle_prod,
            "reason": _cat(reason, _REASONS), "description": _cat(desc, _DESCRIPTIONS),
            "branch": _cat(self.tech_branch[tcode], self.branch_codes),
        }, {"wip_no": ("", self.wip_width)})
