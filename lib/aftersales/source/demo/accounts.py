"""The demo's customers: the accounts table, how each account trades over the months, and picking the
accounts that buy in a month."""

from __future__ import annotations

import numpy as np

from aftersales.source.demo.arrays import _cat
from aftersales.source.demo.base import _Base
from aftersales.source.demo.names import (
    _CHANNELS,
    _K_AGRI,
    _K_FLEET,
    _K_INSURANCE,
    _K_PUBLIC,
    _K_RETAIL,
    _K_TRADE,
    _KIND_P,
    _KINDS,
    _NAME_STYLES,
    _ODD_NAMES,
    _SEGMENTS,
    _TERRITORIES,
    _USE_KIND,
)


class _Accounts(_Base):
    """Customer accounts, owned by the reps of their territory (``rep_*``), then three house accounts.

    Leaves ``acc_*`` (kind, owner, trading months, trend, discounts) for the parts, jobs and CRM to draw on.
    """

    def _make_accounts(self) -> None:
        rng = self.rng
        n = self.sc.accounts
        M = self.M
        codes_int = np.sort(rng.choice(np.arange(1, max(n * 3, 1000)), n, replace=False))
        if 42 not in codes_int:  # account 00042 always exists
            codes_int[0] = 42
            codes_int = np.sort(codes_int)
        codes = [f"{c:05d}" for c in codes_int]
        kind = rng.choice(len(_KINDS), n, p=_KIND_P)
        names = self._account_names(n)
        # a few names that break naive CSV / HTML handling
        for j, odd in enumerate(_ODD_NAMES):
            names[(7 + 37 * j) % n] = odd
        terr = rng.integers(0, len(_TERRITORIES), n)
        terr[rng.random(n) < 0.03] = -1
        seg = kind.copy()
        seg[rng.random(n) < 0.03] = -1
        chan = rng.choice(len(_CHANNELS), n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.1])
        chan[rng.random(n) < 0.05] = -1
        # owners: a rep of the account's territory mostly; the last rep owns nothing
        reps_with = self.sc.reps - 1
        by_terr = rng.integers(0, reps_with, n)
        same = rng.random(n) < 0.8
        for t in range(len(_TERRITORIES)):
            cand = np.flatnonzero(self.rep_territory[:reps_with] == t)
            m = same & (terr == t)
            if len(cand) and m.any():
                by_terr[m] = cand[rng.integers(0, len(cand), int(m.sum()))]
        owner = np.where(rng.random(n) < 0.12, -1, by_terr)
        email = np.array([f"contact{c}@example.com" for c in codes], dtype=object)
        email[rng.random(n) < 0.15] = None

        # trading behaviour
        base = (rng.pareto(1.3, n) + 1.0) * np.where(kind == _K_FLEET, 2.0, 1.0)
        start_m = np.zeros(n, dtype=np.int64)
        end_m = np.full(n, M - 1, dtype=np.int64)
        u = rng.random(n)
        new = u < 0.14
        start_m[new] = rng.integers(1, M, int(new.sum()))
        churn = (u >= 0.14) & (u < 0.22)
        end_m[churn] = rng.integers(3, M - 4, int(churn.sum()))
        lapsing = (u >= 0.22) & (u < 0.26)  # stop buying in the last months: sales alerts
        end_m[lapsing] = M - 1 - rng.integers(1, 4, int(lapsing.sum()))
        trend = rng.normal(0.0, 0.3, n)
        trade_pct = np.select(
            [kind == _K_TRADE, kind == _K_FLEET, kind == _K_PUBLIC, kind == _K_AGRI, kind == _K_INSURANCE],
            [rng.uniform(0.12, 0.30, n), rng.uniform(0.05, 0.15, n), rng.uniform(0.05, 0.10, n),
             rng.uniform(0.03, 0.10, n), rng.uniform(0.0, 0.05, n)], 0.0)
        disc_pct = np.where((kind != _K_RETAIL) & (rng.random(n) < 0.5),
                            rng.choice([0.025, 0.05, 0.075, 0.10], n), 0.0)
        gp_drop = rng.random(n) < 0.05  # extra discount in the last three months: GP alerts

        # three house accounts after the customers
        specials = [("CASH", "Cash sales"), ("WAR001", "Manufacturer warranty claims"),
                    ("INT001", "Internal – used vehicle preparation")]
        self.CASH, self.WARR, self.INTERNAL = n, n + 1, n + 2
        self.n_customers = n
        self.acc_codes = codes + [s[0] for s in specials]
        self.NA = len(self.acc_codes)
        pad = lambda a, v: np.concatenate([a, np.full(3, v, dtype=a.dtype)])  # noqa: E731
        self.acc_kind = pad(kind, _K_RETAIL)
        self.acc_owner = pad(owner, -1)
        self.acc_terr = pad(terr, -1)
        self.acc_chan = pad(chan, -1)
        self.acc_seg = seg
        self.acc_base = pad(base, 0.0)
        self.acc_start = pad(start_m, 0)
        self.acc_end = pad(end_m, M - 1)
        self.acc_trend = pad(trend, 0.0)
        self.acc_trade = pad(trade_pct, 0.0)
        self.acc_disc = pad(disc_pct, 0.0)
        self.acc_gpdrop = pad(gp_drop, False)
        self.acc_net = np.zeros((self.NA, M))
        self.acc_margin = np.zeros((self.NA, M))

        all_names = names + [s[1] for s in specials]
        seg_names = [_SEGMENTS[s] if s >= 0 else None for s in seg] + ["Cash", "Manufacturer", "Internal"]
        self.store.insert("accounts", {
            "account": np.array(self.acc_codes, dtype=object),
            "name": np.array(all_names, dtype=object),
            "owner": _cat(self.acc_owner, self.rep_codes),
            "territory": _cat(self.acc_terr, _TERRITORIES),
            "segment": np.array(seg_names, dtype=object),
            "channel": _cat(self.acc_chan, _CHANNELS),
            "email": np.concatenate([email, np.array([None] * 3, dtype=object)]),
        })

    def _account_names(self, n: int) -> list[str]:
        rng = self.rng
        w = np.array([s[0] for s in _NAME_STYLES], dtype=float)
        style = rng.choice(len(_NAME_STYLES), n, p=w / w.sum())
        a = rng.integers(0, 1 << 30, (n, 3))
        seen: dict[str, int] = {}
        out = []
        for k in range(n):
            _, surnames, templates, places = _NAME_STYLES[style[k]]
            name = templates[a[k, 0] % len(templates)].format(n=surnames[a[k, 1] % len(surnames)])
            if a[k, 2] % 5 < 3:
                name = f"{name} – {places[(a[k, 2] // 5) % len(places)]}"
            if name in seen:
                seen[name] += 1
                name = f"{name} ({seen[name]})"
            else:
                seen[name] = 1
            out.append(name)
        return out

    # ------------------------------------------------------------ accounts
    def _pick_accounts(self, i: int, use: str, n: int) -> np.ndarray:
        active = (self.acc_start <= i) & (self.acc_end >= i)
        w = (self.acc_base * _USE_KIND[use][self.acc_kind] * active
             * np.exp(self.acc_trend * (i - self.M / 2) / 12))
        w[self.n_customers:] = 0.0
        if not w.sum() > 0:  # nobody of that kind trades this month: any active customer
            w = self.acc_base * active
            w[self.n_customers:] = 0.0
        return self.rng.choice(self.NA, n, p=w / w.sum())
