"""The built-in demo dataset: a deterministic, made-up dealer (SPEC §2).

``generate(out_dir, as_of=..., seed=..., scale=...)`` writes every table of
``contract.TABLES`` as ``<out_dir>/<table>.parquet`` (or ``.csv``) plus
``<out_dir>/demo.json``.  Same seed, scale and as_of give byte-identical files.

How it is made
--------------
History covers the 25 full months before ``as_of``'s month plus that month up
to ``as_of``.  It is generated month by month, vectorised with numpy:

* counter sales (department P) and workshop/bodyshop jobs (W, B) are drawn per
  day; a job has labour lines and the parts sold through it, both invoiced on
  the same document on the day the job is invoiced (so parts and labour of a
  job share ``wip_no``, ``account`` and ``document``);
* about 5 % of documents are credit notes reversing lines of an earlier invoice;
* each labour line is worked on one day; on that day it is given to a
  technician of its department, balancing the day's load by capacity, and the
  technician's clock card gets a clocking to the line of exactly the time
  taken, then idle clockings fill the rest of the shift (so clocked job hours
  equal the lines' time taken);
* jobs not invoiced by ``as_of`` stay work in progress (labour lines without
  document; their parts are not in ``parts_lines`` yet but were requisitioned);
* stock movements are derived from the parts lines (invoiced / returned at the
  counter, requisitioned to and reversed from jobs, received weekly).

Rows are staged month by month into a temporary DuckDB database on disk and
copied into the final file by one single-threaded ``COPY`` per table, so memory
stays bounded and row order (and thus the bytes) never depends on threads.

Dates are ≤ ``as_of`` everywhere except two forward-looking planning columns:
``purchase_order_lines.date_required`` and ``opportunities.expected_close`` may
lie after ``as_of`` (an order due next week, a deal expected to close next
month).  ``targets`` holds months up to ``as_of``'s month.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd

from aftersales.source.contract import BOOLEAN, DATE, INTEGER, SQL_TYPES, TABLES, TEXT, TIMESTAMP
from aftersales.source.demo_store import GENERATOR_VERSION

__all__ = ["SCALES", "FORMATS", "HISTORY_MONTHS", "generate"]

SCALES = ("small", "medium", "large")
FORMATS = ("parquet", "csv")
#: Full months of history before as_of's month (which is included up to as_of).
HISTORY_MONTHS = 25


@dataclass(frozen=True)
class _Scale:
    factor: float  # volume of lines, jobs, clockings, CRM, orders relative to small
    accounts: int
    parts: int  # parts catalogue size
    reps: int


_SCALES = {
    "small": _Scale(1.0, 300, 2500, 8),
    "medium": _Scale(34.0, 3000, 15000, 20),
    "large": _Scale(365.0, 20000, 50000, 60),
}

# --------------------------------------------------------------------------
# Reference data (codes are text; several keep leading zeros on purpose)
# --------------------------------------------------------------------------

DEPARTMENTS = {"P": "Parts counter", "W": "Workshop", "B": "Bodyshop"}
_P, _W, _B = 0, 1, 2

OPERATORS = {  # POS operators (parts salesmen / service advisors)
    "AJB": "Counter", "CMK": "Counter", "DLP": "Counter", "EHS": "Counter",
    "GRT": "Counter", "JWN": "Counter", "KAT": "Workshop", "LMO": "Workshop",
    "NPR": "Workshop", "OSV": "Workshop", "RTY": "Bodyshop", "SUZ": "Bodyshop",
}
_OPS = list(OPERATORS)
_COUNTER_OPS = np.arange(0, 6)
_COUNTER_OP_P = np.array([0.24, 0.2, 0.18, 0.15, 0.13, 0.10])
_W_OPS = np.arange(6, 10)
_B_OPS = np.arange(10, 12)

SALE_TYPES = {
    "01": "Counter retail", "02": "Counter trade", "03": "Wholesale", "04": "Online",
    "05": "Export", "06": "Staff", "07": "Workshop retail", "08": "Warranty",
    "09": "Internal", "10": "Fleet contract", "11": "Insurance repair", "12": "Bodyshop retail",
}
_ST = list(SALE_TYPES)
(_ST_RETAIL, _ST_TRADE, _ST_WHOLESALE, _ST_ONLINE, _ST_EXPORT, _ST_STAFF, _ST_WSHOP,
 _ST_WARRANTY, _ST_INTERNAL, _ST_FLEET, _ST_INSURANCE, _ST_BODY) = range(12)

LABOUR_TYPES = {  # code: (description, standard rate per hour, mean allowed hours)
    "SVC": ("Service", 118.0, 1.6),
    "REP": ("Mechanical repair", 126.0, 1.8),
    "MOT": ("MOT test", 54.85, 1.0),
    "DIA": ("Diagnosis", 135.0, 1.0),
    "WAR": ("Warranty", 104.0, 1.7),
    "INT": ("Internal", 65.0, 1.3),
    "BDY": ("Body repair", 96.0, 2.6),
    "PNT": ("Paint", 96.0, 2.3),
    "SUB": ("Sublet", 0.0, 1.0),
}
_LT = list(LABOUR_TYPES)
_LT_SVC, _LT_REP, _LT_MOT, _LT_DIA, _LT_WAR, _LT_INT, _LT_BDY, _LT_PNT, _LT_SUB = range(9)
_LT_RATE = np.array([v[1] for v in LABOUR_TYPES.values()])
_LT_HOURS = np.array([v[2] for v in LABOUR_TYPES.values()])

_TASKS = {  # clocking description of a job clocking, per labour type
    "SVC": ["Annual service", "Interim service", "Oil and filter change", "Major service"],
    "REP": ["Replace front brake pads", "Replace clutch", "Replace timing belt", "Exhaust repair",
            "Suspension: replace shock absorbers"],
    "MOT": ["MOT test", "MOT retest"],
    "DIA": ["Diagnose warning light", "Electrical fault finding", "Diagnose noise"],
    "WAR": ["Warranty: replace injector", "Warranty: software update", "Warranty: water leak"],
    "INT": ["Used vehicle preparation", "PDI new vehicle", "Demonstrator valet"],
    "BDY": ["Panel repair", "Replace front bumper", "Remove and refit trims"],
    "PNT": ["Paint rear bumper", "Blend and lacquer", "Paint preparation"],
    "SUB": ["Sublet"],
}
_TASK_TEXT = [t for v in _TASKS.values() for t in v]
_TASK_START = np.cumsum([0] + [len(v) for v in _TASKS.values()])[:-1]
_TASK_COUNT = np.array([len(v) for v in _TASKS.values()])

IDLE_CODES = {  # code: (description, productive)
    "TRN": ("Training", True),
    "CLN": ("Workshop housekeeping", True),
    "MTG": ("Team meeting", True),
    "RDT": ("Road test / customer handover", True),
    "WFP": ("Waiting for parts", False),
    "NOW": ("Waiting for work", False),
    "RWK": ("Rework (unpaid)", False),
}
_IDLE = list(IDLE_CODES)
_IDLE_PROD = np.array([i for i, v in enumerate(IDLE_CODES.values()) if v[1]])
_IDLE_NONPROD = np.array([i for i, v in enumerate(IDLE_CODES.values()) if not v[1]])
_DESCRIPTIONS = _TASK_TEXT + [v[0] for v in IDLE_CODES.values()]
_REASONS = ["COMP", "WPRT", "WAUT", "EOD"]  # complete, waiting parts, awaiting authorisation, end of day

_TERRITORIES = ["North", "South", "East", "West", "Central", "Export"]
_KINDS = ["retail", "trade", "fleet", "insurance", "public", "agriculture"]
_K_RETAIL, _K_TRADE, _K_FLEET, _K_INSURANCE, _K_PUBLIC, _K_AGRI = range(6)
_SEGMENTS = ["Retail", "Trade", "Fleet", "Insurance", "Public sector", "Agriculture"]
_CHANNELS = ["Walk-in", "Web", "Phone", "Referral", "Trade show", "Social media"]
_KIND_P = [0.55, 0.15, 0.14, 0.04, 0.06, 0.06]
# Preference of each use for each kind of account (retail, trade, fleet, insurance, public, agri)
_USE_KIND = {
    "counter": np.array([0.5, 3.0, 0.4, 0.05, 0.3, 0.6]),
    "workshop": np.array([1.0, 0.15, 1.6, 0.0, 0.9, 0.8]),
    "bodyshop": np.array([1.0, 0.1, 1.2, 0.0, 0.6, 0.3]),
    "insurance": np.array([0.0, 0.0, 0.0, 1.0, 0.0, 0.0]),
    "crm": np.array([1.0, 1.0, 1.5, 0.5, 1.0, 1.0]),
}
_MODELS = ["Hilux", "Ranger", "Transit Custom", "Sprinter", "Actros", "Golf", "Corolla",
           "Qashqai", "Model Y", "Fendt 724", "JCB 3CX", "Defender", "Kuga", "Vivaro"]
_ACTIVITY_TYPES = ["call", "visit", "email", "demo", "meeting"]
_ACTIVITY_MINUTES = {"call": (5, 35), "visit": (30, 150), "email": (5, 20), "demo": (45, 120),
                     "meeting": (30, 90)}
_ISSUE_CATEGORIES = ["Parts delay", "Billing", "Workmanship", "Warranty", "Communication",
                     "Vehicle damage"]
_SEVERITIES = ["low", "medium", "high", "critical"]
_STAGES = ["qualified", "proposal", "negotiation", "won", "lost"]
_PO_STATES = ["ordered", "confirmed", "back order", "part received", "awaiting invoice"]
_PO_TYPES = ["stock", "VOR", "sublet"]
_SUBLETS = ["SUB-GLASS", "SUB-TYRES", "SUB-ALIGN", "SUB-AIRCON", "SUB-VALET", "SUB-MACHINING"]
_MOVES = ["invoiced", "returned", "requisitioned", "reversed", "received"]
_MV_INV, _MV_RET, _MV_REQ, _MV_REV, _MV_REC = range(5)

MARKUP_NAME = 'Smith & Sons <Ltd> "quoted"'
_ODD_NAMES = [MARKUP_NAME, "O'Brien, Kelly & Co.", "Café 🚗 Dépannage", "Ω-Tech <b>bold</b> & <i>co</i>"]

_NAME_STYLES = [  # (weight, surnames, templates, places)
    (30, ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
          "Wright", "Walker", "Thompson", "Evans", "Roberts", "Green", "Hall", "Wood", "Clarke",
          "Hughes", "Edwards", "O'Neill", "MacLeod", "Okafor", "Kaur"],
     ["{n} Motors", "{n} & Sons Ltd", "{n} Haulage Ltd", "{n} Fleet Services", "{n} Plant Hire",
      "{n} Farms", "{n} Garage", "{n} Autos", "{n} Logistics plc", "{n} Taxis", "J. {n}", "A. {n}"],
     ["Leeds", "York", "Bristol", "Derby", "Hull", "Bath", "Leicester", "Norwich", "Exeter",
      "Carlisle", "Dundee", "Cardiff"]),
    (6, ["Lefèvre", "Gauthier", "Bénard", "Mercier", "Dubois", "Rousseau", "Fontaine", "Chevalier",
         "Lemaître", "Girard"],
     ["Garage {n} SARL", "Transports {n} & Fils", "Carrosserie {n}", "Établissements {n}"],
     ["Besançon", "Orléans", "Nîmes", "Angoulême", "Clermont-Ferrand", "Périgueux"]),
    (6, ["Müller", "Schäfer", "Weiß", "Groß", "Köhler", "Bäcker", "Jäger", "Krüger", "Schröder", "Böhm"],
     ["Autohaus {n} GmbH", "{n} Transporte GmbH & Co. KG", "Kfz-Werkstatt {n}", "Landtechnik {n}"],
     ["München", "Nürnberg", "Köln", "Düsseldorf", "Lübeck", "Göttingen"]),
    (5, ["Peña", "Muñoz", "Fernández", "Gonçalves", "Conceição", "Ibáñez", "Núñez", "Álvarez"],
     ["Talleres {n} S.L.", "Transportes {n} S.A.", "Oficina {n} Lda.", "Auto Peças {n}"],
     ["Córdoba", "Málaga", "León", "Évora", "Guimarães", "Cádiz"]),
    (5, ["Łukasiewicz", "Żółkiewski", "Wiśniewski", "Dvořák", "Šťastný", "Novák", "Kowalczyk",
         "Čapek", "Růžička", "Pająk"],
     ["Warsztat {n} sp. z o.o.", "Autoservis {n} s.r.o.", "Przewozy {n}", "Doprava {n} a.s."],
     ["Łódź", "Kraków", "Gdańsk", "Brno", "Plzeň", "České Budějovice"]),
    (5, ["Ångström", "Øvergård", "Sørensen", "Çelik", "Yılmaz", "Öztürk", "Kovács", "Szűcs",
         "Țurcanu", "Nguyễn"],
     ["{n} Bil AB", "{n} Maskin A/S", "{n} Otomotiv Ltd. Şti.", "{n} Autószerviz Kft.",
      "Service Auto {n} S.R.L.", "Gara ô tô {n}"],
     ["Göteborg", "Århus", "Tromsø", "İzmir", "Győr", "Brașov", "Đà Nẵng"]),
    (6, ["Παπαδόπουλος", "Νικολάου", "Γεωργίου", "Οικονόμου", "Καραγιάννης", "Βασιλείου",
         "Αθανασίου", "Δημητρίου"],
     ["Συνεργείο {n}", "{n} Α.Ε.", "Ανταλλακτικά {n} Ο.Ε.", "Μεταφορές {n}"],
     ["Αθήνα", "Θεσσαλονίκη", "Πάτρα", "Ηράκλειο", "Λάρισα"]),
    (8, ["Иванов", "Петренко", "Смирнова", "Кузнецов", "Шевченко", "Попов", "Волков", "Ковальчук",
         "Георгиев", "Јовановић"],
     ["ООО «Автосервис {n}»", "ИП {n}", "Автомастерская {n}", "ТОВ «{n} Авто»", "{n} ЕООД",
      "Транспорт {n} д.о.о."],
     ["Москва", "Київ", "Санкт-Петербург", "Львів", "София", "Београд"]),
    (6, ["الأحمد", "الحسيني", "المنصوري", "القحطاني", "العتيبي", "الزهراني", "الشمري", "الخطيب"],
     ["مؤسسة {n} للسيارات", "ورشة {n}", "شركة {n} التجارية", "{n} لقطع الغيار"],
     ["الرياض", "دبي", "عمّان", "القاهرة", "الدوحة"]),
    (3, ["כהן", "לוי", "מזרחי", "פרץ", "ביטון", "אברהם"],
     ["מוסך {n}", '{n} בע"מ', "{n} הובלות"],
     ["תל אביב", "חיפה", "ירושלים", "באר שבע"]),
    (5, ["王", "李", "张", "刘", "陈", "杨", "黄", "赵"],
     ["{n}氏汽车维修有限公司", "{n}记汽配行", "{n}家物流有限公司"],
     ["上海", "广州", "深圳", "成都", "台北", "香港"]),
    (5, ["山田", "佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "中村"],
     ["株式会社{n}自動車", "{n}モータース", "{n}運輸株式会社", "有限会社{n}整備"],
     ["東京", "大阪", "名古屋", "札幌", "福岡"]),
    (4, ["김", "이", "박", "최", "정", "강", "조", "윤"],
     ["{n}자동차정비", "(주){n}모터스", "{n}물류"],
     ["서울", "부산", "인천", "대구"]),
    (2, ["สมชาย", "ศรีสุข", "วงศ์ใหญ่", "บุญมา"],
     ["อู่{n}การช่าง", "บริษัท {n} ขนส่ง จำกัด"],
     ["กรุงเทพ", "เชียงใหม่", "ภูเก็ต"]),
    (3, ["शर्मा", "वर्मा", "गुप्ता", "सिंह", "पटेल"],
     ["{n} ऑटो वर्क्स", "{n} मोटर्स", "{n} ट्रांसपोर्ट"],
     ["दिल्ली", "मुंबई", "पुणे", "जयपुर"]),
]

_FIRST_NAMES = ["Alice", "Bilal", "Chloé", "Dmitri", "Emma", "Felipe", "Grace", "Hannah", "Ivan",
                "José", "Kenji", "Lena", "Marek", "Nadia", "Oliver", "Priya", "Quentin", "Rosa",
                "Søren", "Tomás", "Ursula", "Viktor", "Wei", "Xavier", "Yusuf", "Zoë", "Aoife",
                "Björn", "Carlos", "Dilek", "Eamon", "Fatima", "Giorgos", "Hiroshi", "Ines",
                "Jamal", "Kasia", "Luis", "Mei", "Nikolai", "Olga", "Pavel", "Rahul", "Sanna",
                "Tariq", "Uma", "Vera", "Wojciech", "Yara", "Zdeněk"]
_LAST_NAMES = ["Martin", "Haddad", "Dubois", "Volkov", "O'Connor", "Ortega", "Kim", "Schmidt",
               "Novak", "García", "Tanaka", "Fischer", "Kowalski", "Rahman", "Hughes", "Sharma",
               "Lambert", "Rossi", "Jensen", "Silva", "Becker", "Popescu", "Zhang", "Moreau",
               "Demir", "Andersson", "Murphy", "Nyström", "Mendes", "Aydın", "Byrne", "Khalil",
               "Papadakis", "Suzuki", "Costa", "Boateng", "Wójcik", "Herrera", "Chen", "Sokolov",
               "Ivanova", "Dvořák", "Mehta", "Lindqvist", "Farouk", "Nair", "Horvat", "Mazur",
               "Saleh", "Procházka"]

_QTY_VALUES = np.array([1, 2, 3, 4, 5, 6, 8, 10], dtype=float)
_QTY_P = np.array([0.62, 0.17, 0.05, 0.09, 0.02, 0.02, 0.015, 0.015])

# Volumes at factor 1 (small), per open day.
_COUNTER_DOCS_PER_DAY = 9.5
_W_JOBS_PER_DAY = 11.0
_B_JOBS_PER_DAY = 2.0
_P_CREDIT = 0.052  # credit notes ≈ 5 % of all documents
_LEADS_PER_MONTH = 30
_OPPS_PER_MONTH = 14
_ACTIVITIES_PER_MONTH = 140
_ISSUES_PER_MONTH = 6
_PO_LINES = 350
_TECH_LOAD_HOURS = 5.9  # clocked job hours per technician-day at capacity 1

_EPOCH = datetime.date(1970, 1, 1)
_NA_DAY = -1_000_000  # "no date" in the int32 day columns staged into DuckDB
_UNASSIGNED = -2  # technician not chosen yet (work day not reached)
_BIG_DAY = 10**8


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------

def _dn(d: datetime.date) -> int:
    return (d - _EPOCH).days


def _add_months(d: datetime.date, k: int) -> datetime.date:
    y, m = divmod(d.month - 1 + k, 12)
    return datetime.date(d.year + y, m + 1, 1)


def _r2(x):
    """Round money to cents, never leaving a negative zero."""
    return np.round(x, 2) + 0.0


def _neg(x):
    return 0.0 - x


def _within(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, n-1 for each group of the given sizes, concatenated."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def _group_excl_cumsum(values: np.ndarray, new_group: np.ndarray) -> np.ndarray:
    """Exclusive running sum of values within consecutive groups."""
    cs = np.cumsum(values)
    excl = cs - values
    gid = np.cumsum(new_group) - 1
    first = np.flatnonzero(new_group)
    return excl - excl[first][gid]


def _cat(codes: np.ndarray, categories) -> pd.Categorical:
    return pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int32), categories=pd.Index(list(categories), dtype=object)
    )


def _concat(a: dict | None, b: dict) -> dict:
    if a is None:
        return b
    return {k: np.concatenate([a[k], b[k]]) for k in a}


def _take(a: dict, idx) -> dict:
    return {k: v[idx] for k, v in a.items()}


def _ascii(text: str) -> str:
    out = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in out.lower() if c.isalnum())


# --------------------------------------------------------------------------
# Staging and writing
# --------------------------------------------------------------------------

class _Store:
    """Stages rows into a temporary on-disk DuckDB database, then writes the files."""

    BATCH_ROWS = 250_000  # small chunks are pooled before they go to DuckDB

    def __init__(self, tmp_dir: Path):
        self.pending: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
        self.pending_rows = dict.fromkeys(TABLES, 0)
        self.con = duckdb.connect(str(tmp_dir / "stage.duckdb"))
        self._run("SET threads = 1")  # row order and file bytes never depend on threads
        self._run("SET preserve_insertion_order = true")
        self._run("SET memory_limit = '384MB'")
        self._run(f"SET temp_directory = '{(tmp_dir / 'spill').as_posix()}'")
        for table in TABLES.values():
            cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in table.columns)
            self._run(f'CREATE TABLE "{table.name}" ({cols})')

    def insert(self, table: str, cols: dict, codes: dict | None = None) -> None:
        """Append rows given as {column: array}; see _expr for the encodings."""
        codes = codes or {}
        names = TABLES[table].names
        missing = set(names) - set(cols)
        if missing:
            raise AssertionError(f"{table}: no data for {sorted(missing)}")
        df = pd.DataFrame({n: cols[n] for n in names}, copy=False)
        if not len(df):
            return
        df.attrs["codes"] = codes
        self.pending[table].append(df)
        self.pending_rows[table] += len(df)
        if self.pending_rows[table] >= self.BATCH_ROWS:
            self._drain(table)

    def _drain(self, table: str) -> None:
        frames = self.pending[table]
        if not frames:
            return
        codes = frames[0].attrs["codes"]
        df = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        self.pending[table] = []
        self.pending_rows[table] = 0
        for name, (_, width) in codes.items():  # lpad would silently cut a longer number
            if len(df) and df[name].max() >= 10**width:
                raise AssertionError(f"{table}.{name}: numbers do not fit {width} digits")
        exprs = ", ".join(_expr(c, codes.get(c.name)) for c in TABLES[table].columns)
        self.con.register("_chunk", df)
        try:
            self._run(f'INSERT INTO "{table}" SELECT {exprs} FROM _chunk')
        finally:
            self.con.unregister("_chunk")

    def count(self, table: str) -> int:
        self._drain(table)
        return int(self._run(f'SELECT count(*) FROM "{table}"')[0][0])

    def write(self, table: str, path: Path, fmt: str) -> None:
        self._drain(table)
        tmp = path.with_name(path.name + ".part")
        target = tmp.as_posix().replace("'", "''")
        if fmt == "parquet":
            opts = "FORMAT parquet"
        else:
            opts = ("FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', "
                    "DATEFORMAT '%Y-%m-%d', TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S'")
        self._run(f"COPY \"{table}\" TO '{target}' ({opts})")
        os.replace(tmp, path)

    def _run(self, sql: str) -> list:
        """Execute and fetch to the end (DuckDB wants results finished before the next call)."""
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()


def _expr(col, code_fmt) -> str:
    """SQL turning a staged column into its contract type.

    Encodings: text = categorical, str, or an integer code formatted by
    code_fmt=(prefix, width) with -1 for empty; date = int32 days since
    1970-01-01 with _NA_DAY for empty; timestamp = int64 seconds since the
    epoch with -1 for empty; integer = int64 with -1 for empty; boolean = int8
    1/0/-1 (empty); number = float64 with NaN for empty.
    """
    q = f'"{col.name}"'
    if col.type == TEXT:
        if code_fmt is not None:
            prefix, width = code_fmt
            e = f"'{prefix}' || lpad(CAST(NULLIF({q}, -1) AS VARCHAR), {width}, '0')"
        else:
            e = q
    elif col.type == DATE:
        e = f"DATE '1970-01-01' + NULLIF({q}, {_NA_DAY})"
    elif col.type == TIMESTAMP:
        e = f"make_timestamp(NULLIF({q}, -1) * 1000000)"
    elif col.type == BOOLEAN:
        e = f"CASE {q} WHEN 1 THEN TRUE WHEN 0 THEN FALSE ELSE NULL END"
    elif col.type == INTEGER:
        e = f"NULLIF({q}, -1)"
    else:
        e = q
    return f"CAST({e} AS {SQL_TYPES[col.type]}) AS {q}"


# --------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------

class _Demo:
    def __init__(self, store: _Store, as_of: datetime.date, seed: int, scale: str,
                 progress: Callable[[str], None]):
        self.store = store
        self.progress = progress
        self.sc = _SCALES[scale]
        self.f = self.sc.factor
        self.rng = np.random.default_rng(seed)
        self.as_of = as_of
        self.a = _dn(as_of)
        start = _add_months(as_of.replace(day=1), -HISTORY_MONTHS)
        self.d0 = _dn(start)
        self.months = []  # (first day, last day ≤ as_of, "YYYY-MM")
        for i in range(HISTORY_MONTHS + 1):
            ms = _add_months(start, i)
            me = min(_add_months(start, i + 1) - datetime.timedelta(days=1), as_of)
            self.months.append((_dn(ms), _dn(me), f"{ms.year:04d}-{ms.month:02d}"))
        self.M = len(self.months)

        days = np.arange(self.d0, self.a + 240, dtype=np.int64)
        dt = days.astype("datetime64[D]")
        mon = dt.astype("datetime64[M]")
        month_no = mon.astype(np.int64) % 12 + 1
        dom = (dt - mon.astype("datetime64[D]")).astype(np.int64) + 1
        wd = (days + 3) % 7  # Monday = 0
        hol = ((month_no == 12) & ((dom == 25) | (dom == 26))) | ((month_no == 1) & (dom == 1))
        counter_open = (wd < 6) & ~hol
        ws_open = (wd < 5) & ~hol
        counter_open[days == self.a] = True  # as_of is always a trading day
        ws_open[days == self.a] = True
        self.days = days
        self.wd = wd
        self.month_no = month_no
        self.cdays = days[counter_open]
        self.bdays = days[ws_open]

        self.next_id = 1  # temporary document / row ids
        self.next_doc = 41_000  # document numbers, in date order
        self.next_wip = 1_000
        self.doc_width = 8
        self.wip_width = 7

        self.parts_buf = None
        self.lab_buf = None
        self.req_buf = None
        self.rec_buf = None
        self.techs = None
        self.presence = None
        self.acc_net = None
        self.acc_margin = None

    # ---------------------------------------------------------------- ids
    def _ids(self, n: int) -> np.ndarray:
        out = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return out

    def _season(self, d: np.ndarray) -> np.ndarray:
        m = self.month_no[d - self.d0]
        return (1 + 0.06 * np.sin(2 * np.pi * (m - 4) / 12)) * (1 + 0.05 * (d - self.d0) / 365.0)

    # ---------------------------------------------------------- reference
    def make_reference(self) -> None:
        self._make_reps()
        self._make_accounts()
        self._make_parts()

    def _make_reps(self) -> None:
        rng = self.rng
        n = self.sc.reps
        width = max(2, len(str(n)))
        self.rep_codes = [f"R{k + 1:0{width}d}" for k in range(n)]
        pairs = [(f, l) for f in _FIRST_NAMES for l in _LAST_NAMES]
        pick = rng.choice(len(pairs), n, replace=False)
        names = [f"{pairs[k][0]} {pairs[k][1]}" for k in pick]
        self.rep_names = names
        self.rep_territory = np.arange(n) % len(_TERRITORIES)
        teams = ["Retail", "Fleet & Trade", "Key accounts"]
        team = [teams[k % 3] for k in range(n)]
        team[3 % n] = None
        cost = np.round(rng.uniform(55_000, 130_000, n), -3)
        cost[2 % n] = np.nan  # one rep whose cost is unknown
        comm = np.round(rng.uniform(2, 8, n) * 2) / 2
        comm[5 % n] = np.nan  # one rep without commission
        emails = [f"{_ascii(a.split()[0])}.{_ascii(a.split()[-1])}@dealer.example" for a in names]
        # the last rep is a new starter (hired 4 months ago) without any accounts
        self.rep_hired = np.zeros(n, dtype=np.int64)
        self.rep_hired[-1] = max(0, self.M - 5)
        self.store.insert("sales_reps", {
            "rep": np.array(self.rep_codes, dtype=object), "name": np.array(names, dtype=object),
            "team": np.array(team, dtype=object),
            "territory": _cat(self.rep_territory, _TERRITORIES),
            "email": np.array(emails, dtype=object), "annual_cost": cost, "commission_rate": comm,
        })

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

    def _make_parts(self) -> None:
        rng = self.rng
        n = self.sc.parts
        style = rng.integers(0, 4, n)
        digits = rng.integers(0, 10**9, (n, 2))
        letters = rng.integers(0, 26, (n, 5))
        alnum = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        seen = set()
        part_no = []
        for k in range(n):
            d1, d2 = int(digits[k, 0]), int(digits[k, 1])
            s = style[k]
            if s == 0:
                code = f"{d1 % 100000:05d}-{''.join(alnum[(d2 >> (5 * j)) % 33] for j in range(5))}"
            elif s == 1:
                code = f"0{d1:09d}"
            elif s == 2:
                code = f"A{d1 % 1000:03d}{d2 % 1000:03d}{(d1 // 1000) % 100:02d}{(d2 // 1000) % 100:02d}"
            else:
                code = f"{chr(65 + letters[k, 0])}{chr(65 + letters[k, 1])}{d1 % 1000000:06d}"
            while code in seen:
                code = code + "X"
            seen.add(code)
            part_no.append(code)
        self.part_no = part_no
        cost = np.clip(rng.lognormal(np.log(12.0), 1.1, n), 0.4, 2500.0)
        self.part_cost = _r2(cost)
        self.part_fluid = rng.random(n) < 0.03
        markup = np.where(self.part_fluid, rng.uniform(1.6, 2.2, n), rng.uniform(1.3, 2.1, n))
        self.part_retail = _r2(np.maximum(self.part_cost * markup, self.part_cost + 0.05))
        rank = rng.permutation(n)
        pop = 1.0 / (rank + 10.0) ** 0.95 * np.where(self.part_fluid, 5.0, 1.0)
        self.part_p = pop / pop.sum()
        self.NP = n
        self.part_cats = part_no + _SUBLETS

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

    # ------------------------------------------------------------ pricing
    def _price(self, i: int, acc: np.ndarray, st: np.ndarray) -> dict:
        rng = self.rng
        n = len(acc)
        part = rng.choice(self.NP, n, p=self.part_p).astype(np.int32)
        fluid = self.part_fluid[part]
        qty = np.where(fluid, np.round(rng.uniform(0.5, 7.5, n), 1), rng.choice(_QTY_VALUES, n, p=_QTY_P))
        retail = self.part_retail[part]
        cost = self.part_cost[part]
        sp = retail * (1.0 - self.acc_trade[acc])
        house = (st == _ST_WARRANTY) | (st == _ST_INTERNAL)
        sp = np.where(st == _ST_WARRANTY, cost * 1.15, sp)
        sp = np.where(st == _ST_INTERNAL, cost * 1.05, sp)
        sp = np.where(st == _ST_STAFF, cost * 1.10, sp)
        sp = _r2(np.maximum(sp, cost * 1.03))
        loss = rng.random(n) < 0.0006  # a handful of lines sold below cost
        sp = np.where(loss, _r2(cost * rng.uniform(0.6, 0.95, n)), sp)
        dpct = self.acc_disc[acc] + np.where(self.acc_gpdrop[acc] & (i >= self.M - 3), 0.10, 0.0)
        has_disc = (dpct > 0) & (rng.random(n) < 0.6) & ~loss & ~house
        disc = np.where(has_disc, _r2(np.minimum(qty * sp * dpct, 0.8 * qty * (sp - cost))), 0.0)
        u = rng.random(n)
        fp = np.where(u < 0.08, 0, np.where(u < 0.14, -1, 1)).astype(np.int8)
        vor = np.where((fp == 0) & (rng.random(n) < 0.6), _r2(qty * cost * rng.uniform(0.05, 0.3, n)), np.nan)
        return {"part": part, "q": qty, "retail": retail, "sp": sp, "disc": disc, "cost": cost,
                "mn": np.full(n, np.nan), "mf": np.full(n, np.nan), "fp": fp, "vor": vor}

    def _parts_rows(self, date, doc, doctype, acc, wip, dept, st, op, seq, pr) -> dict:
        n = len(date)
        return {"date": np.asarray(date, dtype=np.int64), "doc": np.asarray(doc, dtype=np.int64),
                "doctype": np.full(n, doctype, dtype=np.int8) if np.isscalar(doctype) else doctype,
                "acc": np.asarray(acc, dtype=np.int64), "wip": np.asarray(wip, dtype=np.int64),
                "dept": np.asarray(dept, dtype=np.int8), "st": np.asarray(st, dtype=np.int8),
                "op": np.asarray(op, dtype=np.int8), "seq": np.asarray(seq, dtype=np.int64), **pr}

    def _credit_day(self, d: np.ndarray) -> np.ndarray:
        later = d + self.rng.geometric(0.12, len(d))
        idx = np.minimum(np.searchsorted(self.cdays, later), len(self.cdays) - 1)
        return self.cdays[idx]

    def _credit_parts(self, rows: dict, sel: np.ndarray, credit_doc: np.ndarray, credit_day: np.ndarray) -> dict:
        """Credit-note lines reversing rows[sel]; credit_doc/day are per selected row."""
        c = _take(rows, sel)
        c["doc"] = credit_doc
        c["date"] = credit_day
        c["doctype"] = np.ones(len(sel), dtype=np.int8)
        c["q"] = _neg(c["q"])
        c["disc"] = _neg(c["disc"])
        c["mn"] = _neg(c["mn"])
        c["mf"] = _neg(c["mf"])
        c["fp"] = np.full(len(sel), -1, dtype=np.int8)
        c["vor"] = np.full(len(sel), np.nan)
        # line order inside the credit note
        order = np.lexsort((c["seq"], c["doc"]))
        c = _take(c, order)
        new = np.r_[True, c["doc"][1:] != c["doc"][:-1]]
        c["seq"] = np.arange(len(order)) - np.flatnonzero(new)[np.cumsum(new) - 1]
        return c

    # ------------------------------------------------------- counter sales
    def _counter(self, i: int, ms: int, me: int) -> dict:
        rng = self.rng
        days = self.cdays[(self.cdays >= ms) & (self.cdays <= me)]
        lam = _COUNTER_DOCS_PER_DAY * self.f * np.where(self.wd[days - self.d0] == 5, 0.45, 1.0) * self._season(days)
        per_day = rng.poisson(lam)
        dday = np.repeat(days, per_day)
        nd = len(dday)
        cash = rng.random(nd) < 0.12
        acc = np.where(cash, self.CASH, self._pick_accounts(i, "counter", nd))
        kind = self.acc_kind[acc]
        u = rng.random(nd)
        st = np.select(
            [cash, kind == _K_RETAIL, kind == _K_TRADE],
            [np.full(nd, _ST_RETAIL),
             np.where(u < 0.8, _ST_RETAIL, np.where(u < 0.96, _ST_ONLINE, _ST_STAFF)),
             np.where(u < 0.8, _ST_TRADE, np.where(u < 0.95, _ST_WHOLESALE, _ST_EXPORT))],
            _ST_TRADE)
        op = rng.choice(_COUNTER_OPS, nd, p=_COUNTER_OP_P)
        doc = self._ids(nd)
        nl = 1 + rng.poisson(1.2, nd)
        li = np.repeat(np.arange(nd), nl)
        pr = self._price(i, acc[li], st[li])
        rows = self._parts_rows(dday[li], doc[li], 0, acc[li], np.full(len(li), -1), np.full(len(li), _P),
                                st[li], op[li], _within(nl), pr)
        # credit notes
        cred = rng.random(nd) < _P_CREDIT
        cday = np.where(cred, self._credit_day(dday), _BIG_DAY)
        cred &= cday <= self.a
        cdoc = np.full(nd, -1, dtype=np.int64)
        cdoc[cred] = self._ids(int(cred.sum()))
        pick = cred[li] & ((rng.random(len(li)) < 0.7) | (rows["seq"] == 0))
        sel = np.flatnonzero(pick)
        credit = self._credit_parts(rows, sel, cdoc[li[sel]], cday[li[sel]])
        return _concat(rows, credit)

    # ---------------------------------------------------------------- jobs
    def _jobs(self, i: int, ms: int, me: int) -> tuple[dict, dict, dict]:
        rng = self.rng
        days = self.bdays[(self.bdays >= ms) & (self.bdays <= me)]
        season = self._season(days)
        # jobs are booked against workshop capacity: half the variance of random arrivals
        nW = rng.binomial(np.round(2 * _W_JOBS_PER_DAY * self.f * season).astype(np.int64), 0.5)
        nB = rng.binomial(np.round(2 * _B_JOBS_PER_DAY * self.f * season).astype(np.int64), 0.5)
        created = np.concatenate([np.repeat(days, nW), np.repeat(days, nB)])
        dept = np.concatenate([np.full(nW.sum(), _W), np.full(nB.sum(), _B)]).astype(np.int8)
        order = np.argsort(created, kind="stable")
        created, dept = created[order], dept[order]
        nj = len(created)
        wip = np.arange(self.next_wip, self.next_wip + nj, dtype=np.int64)
        self.next_wip += nj
        isW = dept == _W
        # kind of job: 0 customer, 1 warranty, 2 internal, 3 insurance
        u = rng.random(nj)
        jkind = np.where(isW, np.select([u < 0.82, u < 0.94], [0, 1], 2),
                         np.select([u < 0.38, u < 0.40, u < 0.42], [0, 1, 2], 3))
        acc = np.select(
            [jkind == 1, jkind == 2, (jkind == 0) & isW, (jkind == 0) & ~isW],
            [np.full(nj, self.WARR), np.full(nj, self.INTERNAL),
             self._pick_accounts(i, "workshop", nj), self._pick_accounts(i, "bodyshop", nj)],
            self._pick_accounts(i, "insurance", nj))
        fleet = self.acc_kind[acc] == _K_FLEET
        st = np.select(
            [jkind == 1, jkind == 2, jkind == 3, isW & fleet, isW],
            [_ST_WARRANTY, _ST_INTERNAL, _ST_INSURANCE, _ST_FLEET, _ST_WSHOP], _ST_BODY)
        owner = np.where(isW, rng.choice(_W_OPS, nj), rng.choice(_B_OPS, nj))
        parts_op = np.where(isW, rng.choice(_W_OPS, nj), rng.choice(_B_OPS, nj))
        mpu = np.where(rng.random(nj) < np.where(isW, 0.08, 0.4), 6.0, 60.0)
        menu = isW & (jkind == 0) & (rng.random(nj) < 0.28)
        ratio = rng.uniform(0.78, 0.93, nj)  # menu price / normal price
        long_job = rng.random(nj) < np.where(isW, 0.03, 0.10)
        dur = np.where(isW, rng.choice([0, 1, 2, 3, 4], nj, p=[0.6, 0.25, 0.07, 0.05, 0.03]),
                       rng.integers(2, 13, nj))
        dur = np.where(long_job, rng.integers(15, 46, nj), dur)
        cidx = np.searchsorted(self.bdays, created)
        lag = rng.choice([0, 1, 2, 3, 5], nj, p=[0.7, 0.2, 0.05, 0.03, 0.02])
        inv_day = self.bdays[np.minimum(cidx + dur + lag, len(self.bdays) - 1)]
        invoiced = inv_day <= self.a
        doc = np.full(nj, -1, dtype=np.int64)
        doc[invoiced] = self._ids(int(invoiced.sum()))

        # ---- labour lines
        nl = np.where(isW, np.where(menu, 1 + rng.poisson(0.4, nj), 1 + rng.poisson(1.7, nj)),
                      2 + rng.poisson(2.5, nj))
        jl = np.repeat(np.arange(nj), nl)
        L = len(jl)
        line_no = _within(nl) + 1
        menu_line = menu[jl] & (line_no == 1)
        wl = isW[jl]
        k = jkind[jl]
        lt = np.select(
            [menu_line, wl & (k == 0), wl & (k == 1), wl & (k == 2)],
            [np.full(L, _LT_SVC), rng.choice([_LT_SVC, _LT_REP, _LT_MOT, _LT_DIA], L, p=[0.25, 0.5, 0.12, 0.13]),
             np.full(L, _LT_WAR), np.full(L, _LT_INT)],
            rng.choice([_LT_BDY, _LT_PNT], L, p=[0.55, 0.45]))
        lt = np.where(~menu_line & (rng.random(L) < 0.015), _LT_SUB, lt)
        sub = lt == _LT_SUB
        hours = np.clip(np.round(rng.lognormal(np.log(_LT_HOURS[lt]) - 0.15, 0.55), 1), 0.1,
                        np.round(3 * _LT_HOURS[lt], 1))
        hours = np.where(lt == _LT_MOT, 1.0, hours)
        hours = np.where(menu_line, rng.choice([1.0, 1.5, 2.0, 2.5], L), hours)
        hours = np.where(sub, 1.0, hours)
        lmpu = mpu[jl]
        allowed = np.round(hours * 60.0 / lmpu, 1)
        work_idx = cidx[jl] + np.where(line_no == 1, 0, rng.integers(0, dur[jl] + 1))
        work_day = self.bdays[work_idx]
        started = (work_day <= self.a) & ~sub
        split = ~sub & ~menu_line & (rng.random(L) < 0.05)
        step = np.where(split, 0.2, 0.1)
        taken_h = np.maximum(np.round(hours * rng.lognormal(0.02, 0.22, L) / step) * step, step)
        taken_h = np.round(np.where(started, taken_h, 0.0), 1)
        taken = np.where(sub, allowed, np.round(taken_h * 60.0 / lmpu, 1))
        sub_price = _r2(rng.lognormal(np.log(180.0), 0.6, L))
        std_rate = np.where(sub, sub_price, _LT_RATE[lt]) * lmpu / 60.0
        rate = _r2(np.where(menu_line, std_rate * ratio[jl], std_rate))
        mn = np.where(menu_line, _r2(allowed * std_rate), np.nan)
        mf = np.where(menu_line, _r2(allowed * rate), np.nan)
        lacc = acc[jl]
        dpct = self.acc_disc[lacc] + np.where(self.acc_gpdrop[lacc] & (i >= self.M - 3), 0.10, 0.0)
        has_disc = (dpct > 0) & (k == 0) & ~menu_line & ~sub & (rng.random(L) < 0.5)
        ldisc = np.where(has_disc, _r2(allowed * rate * dpct), 0.0)
        later = (line_no > 1) & started & (rng.random(L) < 0.2)
        date_created = np.where(later, work_day, created[jl])
        sub_cph = _r2(sub_price * rng.uniform(0.7, 0.85, L))
        line_uid = self._ids(L)

        reps = 1 + split.astype(np.int64)
        r = np.repeat(np.arange(L), reps)
        R = len(r)
        part2 = _within(reps)
        contrib = np.where(split[r], 50.0, 100.0)
        inv_r = invoiced[jl[r]]
        lab = {
            "wip": wip[jl[r]], "line_no": line_no[r].astype(np.int64),
            "doc": np.where(inv_r, doc[jl[r]], -1),
            "doctype": np.where(inv_r, 0, -1).astype(np.int8),
            "created": date_created[r].astype(np.int64),
            "edit": np.where(inv_r, inv_day[jl[r]], _NA_DAY).astype(np.int64),
            "acc": lacc[r].astype(np.int64), "dept": dept[jl[r]], "lt": lt[r].astype(np.int8),
            "owner": owner[jl[r]].astype(np.int8),
            "tech": np.where(sub[r], -1, _UNASSIGNED).astype(np.int64),
            "allowed": allowed[r], "taken": taken[r], "mpu": lmpu[r], "rate": rate[r],
            "contrib": contrib, "cph": np.where(sub[r], sub_cph[r], 0.0),
            "flat": np.where(sub[r], 1, 0).astype(np.int8),
            "disc": _r2(ldisc[r] * contrib / 100.0), "mn": mn[r], "mf": mf[r],
            "work": np.where(started[r], work_day[r], _BIG_DAY).astype(np.int64),
            "hours": taken_h[r], "line_uid": line_uid[r], "part2": part2.astype(np.int8),
            "uid": self._ids(R), "orig": np.full(R, -1, dtype=np.int64),
            "key": np.where(inv_r, inv_day[jl[r]], _BIG_DAY).astype(np.int64),
            "inv": np.where(inv_r, inv_day[jl[r]], _BIG_DAY).astype(np.int64),
        }

        # ---- parts sold through the jobs
        np_ = np.select([menu, isW & (jkind == 0), jkind == 1, jkind == 2],
                        [2 + rng.poisson(1.5, nj), rng.poisson(1.3, nj), 1 + rng.poisson(1.0, nj),
                         rng.poisson(1.5, nj)], 2 + rng.poisson(3.0, nj))
        jp = np.repeat(np.arange(nj), np_)
        pr = self._price(i, acc[jp], st[jp])
        pm = menu[jp]
        mnp = _r2(pr["q"] * pr["sp"])
        sp_m = _r2(np.maximum(pr["sp"] * ratio[jp], pr["cost"] * 1.02))
        pr["sp"] = np.where(pm, sp_m, pr["sp"])
        pr["mn"] = np.where(pm, mnp, np.nan)
        pr["mf"] = np.where(pm, _r2(pr["q"] * sp_m), np.nan)
        pr["disc"] = np.where(pm, 0.0, pr["disc"])
        prow = self._parts_rows(inv_day[jp], doc[jp], 0, acc[jp], wip[jp], dept[jp], st[jp],
                                parts_op[jp], _within(np_), pr)
        req = {"date": created[jp].astype(np.int64), "part": pr["part"], "q": pr["q"],
               "v": pr["q"] * pr["cost"]}
        keep = invoiced[jp]
        prow_jobs = jp[keep]
        prow = _take(prow, keep)

        # ---- credit notes on some invoiced jobs
        cred = invoiced & (rng.random(nj) < _P_CREDIT)
        cday = np.where(cred, self._credit_day(inv_day), _BIG_DAY)
        cred &= cday <= self.a
        cdoc = np.full(nj, -1, dtype=np.int64)
        cdoc[cred] = self._ids(int(cred.sum()))
        psel = cred[prow_jobs] & (rng.random(len(prow_jobs)) < 0.7)
        lsel_line = cred[jl] & (rng.random(L) < 0.3)
        # a credited job credits at least one line
        got = np.bincount(prow_jobs[psel], minlength=nj) + np.bincount(jl[lsel_line], minlength=nj)
        empty = cred & (got == 0)
        has_parts = np.bincount(prow_jobs, minlength=nj) > 0
        psel |= empty[prow_jobs] & has_parts[prow_jobs] & (prow["seq"] == 0)
        lsel_line |= empty[jl] & ~has_parts[jl] & (line_no == 1)
        ps = np.flatnonzero(psel)
        pcred = self._credit_parts(prow, ps, cdoc[prow_jobs[ps]], cday[prow_jobs[ps]])
        ls = np.flatnonzero(lsel_line[r])
        lc = _take(lab, ls)
        cj = jl[r[ls]]
        # new line numbers after the job's last line, one per credited line
        first_row = np.r_[True, lc["line_uid"][1:] != lc["line_uid"][:-1]] if len(ls) else np.zeros(0, bool)
        newline_rank = np.cumsum(first_row)
        if len(ls):
            job_start = np.r_[True, cj[1:] != cj[:-1]]
            base_rank = newline_rank[np.flatnonzero(job_start)][np.cumsum(job_start) - 1]
            lc["line_no"] = nl[cj] + (newline_rank - base_rank + 1)
        lc["doc"] = cdoc[cj]
        lc["doctype"] = np.ones(len(ls), dtype=np.int8)
        lc["created"] = cday[cj].astype(np.int64)
        lc["edit"] = cday[cj].astype(np.int64)
        lc["key"] = cday[cj].astype(np.int64)
        for c in ("allowed", "taken", "disc", "mn", "mf"):
            lc[c] = _neg(lc[c])
        lc["work"] = np.full(len(ls), _BIG_DAY, dtype=np.int64)
        lc["inv"] = np.full(len(ls), _BIG_DAY, dtype=np.int64)
        lc["hours"] = np.zeros(len(ls))
        lc["orig"] = lc["uid"]
        lc["uid"] = self._ids(len(ls))
        lc["line_uid"] = self._ids(len(ls))
        lab = _concat(lab, lc)
        return _concat(prow, pcred), lab, req

    # --------------------------------------------------------- technicians
    def _make_techs(self, i: int) -> None:
        """Size the workforce from the first month's work (hours per workshop day)."""
        rng = self.rng
        ms, me, _ = self.months[i]
        nd = int(((self.bdays >= ms) & (self.bdays <= me)).sum())
        L = self.lab_buf
        first = (L["orig"] < 0) & (L["tech"] == _UNASSIGNED)
        counts = []
        for dept in (_W, _B):
            h = (L["hours"][first & (L["dept"] == dept)] * L["contrib"][first & (L["dept"] == dept)] / 100).sum()
            counts.append(max(2, int(math.ceil(h / nd / (_TECH_LOAD_HOURS * 0.95)))))
        n = sum(counts)
        self.tech_dept = np.array([_W] * counts[0] + [_B] * counts[1], dtype=np.int8)
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
        self.tech_cph = _r2(rng.uniform(22.0, 42.0, n))
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
        for dept in (_W, _B):
            techs = np.flatnonzero(self.tech_dept == dept)
            nt = len(techs)
            c = caps[:, techs].copy()
            none = c.sum(axis=1) == 0
            c[none, 0] = 1.0
            present[none, techs[0]] = True
            cum = np.cumsum(c, axis=1) / c.sum(axis=1, keepdims=True)
            flat_cum = (cum + np.arange(nd)[:, None]).ravel()
            rows = first[L["dept"][first] == dept]
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
            for dept in (_W, _B):
                techs = np.flatnonzero(self.tech_dept == dept)
                m = later[L["dept"][later] == dept]
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
        cap_h = np.zeros((3, nd))
        for dept in (_W, _B):
            cap_h[dept] = caps[:, self.tech_dept == dept].sum(axis=1) * 8.5
        tie = self.rng.random(len(rows))
        for _ in range(40):
            live = L["work"][rows] <= me
            r, t = rows[live], tie[live]
            di = np.searchsorted(wdays, L["work"][r])
            dept = L["dept"][r].astype(np.int64)
            order = np.lexsort((t, di, dept))
            r, di, dept = r[order], di[order], dept[order]
            h = L["hours"][r]
            new = np.r_[True, (di[1:] != di[:-1]) | (dept[1:] != dept[:-1])]
            before = _group_excl_cumsum(h, new)
            nxt_day = self.bdays[np.searchsorted(self.bdays, L["work"][r]) + 1]
            move = (before > 0) & (before + h > cap_h[dept, di]) & (nxt_day <= L["inv"][r])
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
        target = 480 + 6 * rng.integers(-5, 6, n_td)  # 7.5 to 8.5 hours attended
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
        }, {"wip_no": ("", self.wip_width)})

    # --------------------------------------------------------------- flush
    def _flush(self, i: int, final: bool) -> None:
        ms, me, _ = self.months[i]
        seg = self._assign(i, final)
        self._clockings(i, seg, final)

        P = self.parts_buf
        pm = P["date"] <= me
        parts = _take(P, pm)
        self.parts_buf = _take(P, ~pm)
        L = self.lab_buf
        lm = (L["key"] <= me) | final
        lab = _take(L, lm)
        self.lab_buf = _take(L, ~lm)

        # document numbers in date order, shared by a job's parts and labour
        inv = lab["doc"] >= 0
        docs = np.concatenate([parts["doc"], lab["doc"][inv]])
        ddate = np.concatenate([parts["date"], lab["edit"][inv]])
        u, first = np.unique(docs, return_index=True)
        order = np.lexsort((u, ddate[first]))
        number = np.empty(len(u), dtype=np.int64)
        number[order] = self.next_doc + np.arange(len(u))
        self.next_doc += len(u)
        parts["doc"] = number[np.searchsorted(u, parts["doc"])]
        lab["doc"] = np.where(inv, number[np.clip(np.searchsorted(u, lab["doc"]), 0, max(len(u) - 1, 0))]
                              if len(u) else -1, -1)

        o = np.lexsort((parts["seq"], parts["doc"], parts["date"]))
        parts = _take(parts, o)
        self.store.insert("parts_lines", {
            "document": parts["doc"], "doc_type": _cat(parts["doctype"], ["invoice", "credit"]),
            "date_edit": parts["date"].astype(np.int32), "account": _cat(parts["acc"], self.acc_codes),
            "wip_no": parts["wip"], "department": _cat(parts["dept"], list(DEPARTMENTS)),
            "sale_type": _cat(parts["st"], _ST), "operator": _cat(parts["op"], _OPS),
            "part_no": _cat(parts["part"], self.part_cats), "quantity": parts["q"],
            "retail_price": parts["retail"], "selling_price": parts["sp"], "discount": parts["disc"],
            "cost_price": parts["cost"], "menu_normal_value": parts["mn"], "menu_fixed_value": parts["mf"],
            "first_pick": parts["fp"], "vor_loss": parts["vor"],
        }, {"document": ("", self.doc_width), "wip_no": ("", self.wip_width)})

        edit_sort = np.where(lab["edit"] == _NA_DAY, _BIG_DAY, lab["edit"])
        o = np.lexsort((lab["tech"], lab["line_no"], lab["wip"], edit_sort))
        lab = _take(lab, o)
        self.store.insert("labour_lines", {
            "wip_no": lab["wip"], "line_no": lab["line_no"], "document": lab["doc"],
            "doc_type": _cat(lab["doctype"], ["invoice", "credit"]),
            "date_created": lab["created"].astype(np.int32), "date_edit": lab["edit"].astype(np.int32),
            "account": _cat(lab["acc"], self.acc_codes), "department": _cat(lab["dept"], list(DEPARTMENTS)),
            "labour_type": _cat(lab["lt"], _LT), "wip_owner": _cat(lab["owner"], _OPS),
            "technician": _cat(lab["tech"], self.tech_codes), "allowed_time": lab["allowed"],
            "time_taken": lab["taken"], "minutes_per_unit": lab["mpu"], "labour_rate": lab["rate"],
            "contribution": lab["contrib"], "cost_per_hour": lab["cph"], "flat_rate": lab["flat"],
            "discount": lab["disc"], "menu_normal_value": lab["mn"], "menu_fixed_value": lab["mf"],
        }, {"wip_no": ("", self.wip_width), "document": ("", self.doc_width)})

        # sales and margin per account and month (for the targets)
        net = parts["q"] * parts["sp"] - parts["disc"]
        mon = np.searchsorted([m[0] for m in self.months], parts["date"], side="right") - 1
        np.add.at(self.acc_net, (parts["acc"], mon), net)
        np.add.at(self.acc_margin, (parts["acc"], mon), net - parts["q"] * parts["cost"])
        li = np.flatnonzero(lab["doc"] >= 0)
        gross = lab["allowed"][li] * lab["rate"][li] * lab["contrib"][li] / 100
        lnet = gross - lab["disc"][li]
        t = np.where(lab["flat"][li] == 1, lab["allowed"][li], lab["taken"][li])
        lcost = t * lab["cph"][li] * lab["mpu"][li] / 60 * lab["contrib"][li] / 100
        mon = np.searchsorted([m[0] for m in self.months], lab["edit"][li], side="right") - 1
        np.add.at(self.acc_net, (lab["acc"][li], mon), lnet)
        np.add.at(self.acc_margin, (lab["acc"][li], mon), lnet - lcost)

        self._movements(parts, me)

    def _movements(self, parts: dict, me: int) -> None:
        counter = parts["dept"] == _P
        credit = parts["doctype"] == 1
        pieces = []

        def add(mtype, date, part, q, v):
            pieces.append((np.asarray(date, dtype=np.int64), np.asarray(part, dtype=np.int64),
                           np.full(len(date), mtype, dtype=np.int64), np.abs(q), np.abs(v)))

        for mask, mtype in ((counter & ~credit, _MV_INV), (counter & credit, _MV_RET), (~counter & credit, _MV_REV)):
            add(mtype, parts["date"][mask], parts["part"][mask], parts["q"][mask],
                parts["q"][mask] * parts["cost"][mask])
        R = self.req_buf
        rm = R["date"] <= me
        req = _take(R, rm)
        self.req_buf = _take(R, ~rm)
        add(_MV_REQ, req["date"], req["part"], req["q"], req["v"])
        # stock is replenished weekly: what went out in a week arrives on the next week's Tuesday
        out_m = counter & ~credit
        od = np.concatenate([parts["date"][out_m], req["date"]])
        rec = {"date": (od + 3) // 7 * 7 - 3 + 8,
               "part": np.concatenate([parts["part"][out_m], req["part"]]).astype(np.int64),
               "q": np.concatenate([parts["q"][out_m], req["q"]]),
               "v": np.concatenate([(parts["q"] * parts["cost"])[out_m], req["v"]])}
        rec = _take(rec, rec["date"] <= self.a)
        B = _concat(self.rec_buf, rec)
        bm = B["date"] <= me
        got = _take(B, bm)
        self.rec_buf = _take(B, ~bm)
        add(_MV_REC, got["date"], got["part"], got["q"], got["v"])

        date = np.concatenate([p[0] for p in pieces])
        part = np.concatenate([p[1] for p in pieces])
        mtype = np.concatenate([p[2] for p in pieces])
        q = np.concatenate([p[3] for p in pieces])
        v = np.concatenate([p[4] for p in pieces])
        o = np.lexsort((mtype, part, date))
        date, part, mtype, q, v = date[o], part[o], mtype[o], q[o], v[o]
        if len(o):
            new = np.r_[True, (date[1:] != date[:-1]) | (part[1:] != part[:-1]) | (mtype[1:] != mtype[:-1])]
            starts = np.flatnonzero(new)
            date, part, mtype = date[starts], part[starts], mtype[starts]
            q = np.add.reduceat(q, starts)
            v = np.add.reduceat(v, starts)
        self.store.insert("parts_movements", {
            "date": date.astype(np.int32), "part_no": _cat(part, self.part_cats),
            "movement_type": _cat(mtype, _MOVES), "quantity": np.round(q, 2) + 0.0, "value": _r2(v),
        })

    # ----------------------------------------------------------- history
    def history(self) -> None:
        empty_req = {"date": np.zeros(0, np.int64), "part": np.zeros(0, np.int64),
                     "q": np.zeros(0), "v": np.zeros(0)}
        self.req_buf = empty_req
        self.rec_buf = dict(empty_req)
        for i, (ms, me, ym) in enumerate(self.months):
            counter = self._counter(i, ms, me)
            jparts, lab, req = self._jobs(i, ms, me)
            self.parts_buf = _concat(self.parts_buf, _concat(counter, jparts))
            self.lab_buf = _concat(self.lab_buf, lab)
            self.req_buf = _concat(self.req_buf, req)
            self._flush(i, final=i == self.M - 1)
            self.progress(f"parts_lines, labour_lines, clockings {i + 1}/{self.M} months ({ym})")

    # ------------------------------------------------------ purchase orders
    def purchase_orders(self) -> None:
        rng = self.rng
        target = max(60, int(round(_PO_LINES * self.f)))
        n_orders = max(10, target // 3)
        per = 1 + rng.poisson(2.0, n_orders)
        otype = rng.choice(3, n_orders, p=[0.55, 0.3, 0.15])
        per = np.where(otype == 2, 1, per)
        band = rng.choice(6, n_orders, p=[0.2, 0.2, 0.15, 0.15, 0.12, 0.18])
        lo, hi = np.array([0, 15, 46, 76, 106, 141]), np.array([15, 46, 76, 106, 141, 420])
        age = rng.integers(lo[band], hi[band])
        ocreated = self.a - age
        oi = np.repeat(np.arange(n_orders), per)
        n = len(oi)
        line_no = _within(per) + 1
        t = otype[oi]
        part = np.where(t == 2, self.NP + rng.integers(0, len(_SUBLETS), n),
                        rng.choice(self.NP, n, p=self.part_p))
        created = ocreated[oi]
        lead = np.where(t == 1, rng.integers(1, 6, n), rng.integers(2, 31, n))
        required = np.where(rng.random(n) < 0.15, _NA_DAY, created + lead)
        grn_day = created + (rng.random(n) * np.minimum(age[oi] + 1, 60)).astype(np.int64)
        has_grn = (rng.random(n) < 0.3) & (grn_day <= self.a)
        grn = np.where(has_grn, grn_day, _NA_DAY)
        state = np.where(has_grn, 3, rng.choice([0, 1, 2, 4], n, p=[0.4, 0.3, 0.2, 0.1]))
        qty = np.where(t == 2, 1.0, rng.integers(1, 13, n).astype(float))
        qty = np.where(rng.random(n) < 0.06, 0.0, qty)
        order_no = (np.argsort(np.argsort(ocreated, kind="stable"), kind="stable") + 52_000)[oi]
        o = np.lexsort((line_no, order_no))
        self.store.insert("purchase_order_lines", {
            "order_no": order_no[o], "line_no": line_no[o], "part_no": _cat(part[o], self.part_cats),
            "state": _cat(state[o], _PO_STATES), "order_type": _cat(t[o], _PO_TYPES),
            "outstanding_qty": qty[o], "date_created": created[o].astype(np.int32),
            "date_required": required[o].astype(np.int32), "grn_date": grn[o].astype(np.int32),
        }, {"order_no": ("", 7)})

    # ----------------------------------------------------------------- CRM
    def _month_days(self, n_per_month: np.ndarray, counter_only: bool = True) -> np.ndarray:
        rng = self.rng
        out = []
        pool = self.cdays if counter_only else self.days
        for (ms, me, _), k in zip(self.months, n_per_month):
            d = pool[(pool >= ms) & (pool <= me)]
            out.append(d[rng.integers(0, len(d), k)])
        return np.sort(np.concatenate(out))

    def crm(self) -> None:
        rng = self.rng
        M, NR = self.M, self.sc.reps
        cust = np.arange(self.n_customers)

        def pick_rep(dates):
            mon = np.searchsorted([m[0] for m in self.months], dates, side="right") - 1
            r = rng.integers(0, NR, len(dates))
            late = self.rep_hired[r] > mon
            r[late] = rng.integers(0, NR - 1, int(late.sum()))
            return r

        # ---- leads: new customers came from a lead; others never converted
        new = cust[(self.acc_start[cust] > 0) & (rng.random(len(cust)) < 0.75)]
        conv_date = np.array([self.months[s][0] for s in self.acc_start[new]], dtype=np.int64)
        conv_date = np.maximum(conv_date - rng.integers(0, 45, len(new)), self.d0)
        n_un = rng.poisson(_LEADS_PER_MONTH * self.f, M)
        un_date = self._month_days(n_un, counter_only=False)
        ldate = np.concatenate([conv_date, un_date])
        lacc = np.concatenate([new, np.full(len(un_date), -1)])
        NL = len(ldate)
        lrep = pick_rep(ldate)
        own = np.where(lacc >= 0, self.acc_owner[np.maximum(lacc, 0)], -1)
        lrep = np.where(own >= 0, own, lrep)
        lchan = rng.choice(len(_CHANNELS), NL, p=[0.2, 0.3, 0.15, 0.15, 0.1, 0.1])
        lseg = rng.choice(len(_SEGMENTS), NL, p=_KIND_P)
        lterr = rng.integers(0, len(_TERRITORIES), NL)
        has = lacc >= 0
        a = np.maximum(lacc, 0)
        lchan = np.where(has & (self.acc_chan[a] >= 0), self.acc_chan[a], lchan)
        lseg = np.where(has & (self.acc_seg[np.minimum(a, self.n_customers - 1)] >= 0),
                        self.acc_seg[np.minimum(a, self.n_customers - 1)], lseg)
        lterr = np.where(has & (self.acc_terr[a] >= 0), self.acc_terr[a], lterr)
        lo, hi = np.array([0, 15, 5, 0, 120, 10]), np.array([0, 60, 25, 100, 450, 45])
        cost = _r2(rng.uniform(lo[lchan], hi[lchan]))
        cost = np.where((lchan == 0) | (rng.random(NL) < 0.12) | ((lchan == 3) & (rng.random(NL) < 0.5)),
                        np.nan, cost)
        o = np.lexsort((rng.random(NL), ldate))
        ldate, lacc, lrep, lchan, lseg, lterr, cost = (x[o] for x in (ldate, lacc, lrep, lchan, lseg, lterr, cost))
        self.store.insert("leads", {
            "lead_id": np.arange(1, NL + 1), "created_date": ldate.astype(np.int32),
            "rep": _cat(lrep, self.rep_codes), "channel": _cat(lchan, _CHANNELS),
            "segment": _cat(lseg, _SEGMENTS), "territory": _cat(lterr, _TERRITORIES),
            "cost": cost, "account": _cat(lacc, self.acc_codes),
        }, {"lead_id": ("L", 7)})

        # ---- opportunities: from leads and from existing customers
        from_lead = np.flatnonzero(rng.random(NL) < 0.55)
        od1 = ldate[from_lead] + rng.integers(0, 21, len(from_lead))
        keep = od1 <= self.a
        from_lead, od1 = from_lead[keep], od1[keep]
        n_acc = rng.poisson(_OPPS_PER_MONTH * self.f, M)
        od2 = self._month_days(n_acc)
        oacc2 = np.concatenate([self._pick_accounts(m, "crm", k) for m, k in enumerate(n_acc)])
        orep2 = np.where(self.acc_owner[oacc2] >= 0, self.acc_owner[oacc2], pick_rep(od2))
        odate = np.concatenate([od1, od2])
        olead = np.concatenate([from_lead, np.full(len(od2), -1)])
        oacc = np.concatenate([lacc[from_lead], oacc2])
        orep = np.concatenate([lrep[from_lead], orep2])
        NO = len(odate)
        age = self.a - odate
        converted = (olead >= 0) & (oacc >= 0)
        closed = rng.random(NO) < np.clip(age / 120.0, 0.05, 0.97)
        won = rng.random(NO) < np.where(converted, 0.75, 0.4)
        stage = np.where(closed, np.where(won, 3, 4), rng.choice(3, NO, p=[0.45, 0.35, 0.2]))
        cdate = np.where(closed, odate + (rng.random(NO) * np.minimum(age + 1, 120)).astype(np.int64), _NA_DAY)
        exp_close = np.where(rng.random(NO) < 0.1, _NA_DAY, odate + rng.integers(20, 121, NO))
        model = np.where(rng.random(NO) < 0.1, -1, rng.integers(0, len(_MODELS), NO))
        revenue = np.round(rng.lognormal(np.log(30_000), 0.7, NO), -2)
        o = np.lexsort((rng.random(NO), odate))
        self.store.insert("opportunities", {
            "opp_id": np.arange(1, NO + 1), "lead_id": np.where(olead[o] >= 0, olead[o] + 1, -1),
            "account": _cat(oacc[o], self.acc_codes), "rep": _cat(orep[o], self.rep_codes),
            "stage": _cat(stage[o], _STAGES), "model": _cat(model[o], _MODELS),
            "potential_revenue": revenue[o], "created_date": odate[o].astype(np.int32),
            "expected_close": exp_close[o].astype(np.int32), "closed_date": cdate[o].astype(np.int32),
        }, {"opp_id": ("OP", 6), "lead_id": ("L", 7)})

        # ---- activities: mostly with the rep's own accounts
        n_act = rng.poisson(_ACTIVITIES_PER_MONTH * self.f, M)
        adate = self._month_days(n_act)
        NA_ = len(adate)
        arep = pick_rep(adate)
        owned = np.argsort(self.acc_owner[cust], kind="stable")
        owners_sorted = self.acc_owner[cust][owned]
        lo_i = np.searchsorted(owners_sorted, arep, side="left")
        hi_i = np.searchsorted(owners_sorted, arep, side="right")
        cnt = hi_i - lo_i
        pickk = lo_i + (rng.random(NA_) * np.maximum(cnt, 1)).astype(np.int64)
        aacc = np.where(cnt > 0, owned[np.minimum(pickk, len(owned) - 1)], rng.integers(0, self.n_customers, NA_))
        aacc = np.where(rng.random(NA_) < 0.18, -1, aacc)
        atype = rng.choice(len(_ACTIVITY_TYPES), NA_, p=[0.4, 0.2, 0.25, 0.05, 0.1])
        lo_m = np.array([_ACTIVITY_MINUTES[t][0] for t in _ACTIVITY_TYPES])
        hi_m = np.array([_ACTIVITY_MINUTES[t][1] for t in _ACTIVITY_TYPES])
        minutes = np.round(rng.uniform(lo_m[atype], hi_m[atype]) / 5) * 5
        self.store.insert("activities", {
            "activity_id": np.arange(1, NA_ + 1), "date": adate.astype(np.int32),
            "rep": _cat(arep, self.rep_codes), "account": _cat(aacc, self.acc_codes),
            "activity_type": _cat(atype, _ACTIVITY_TYPES), "duration_minutes": minutes,
        }, {"activity_id": ("A", 8)})

        # ---- customer issues
        n_iss = rng.poisson(_ISSUES_PER_MONTH * self.f, M)
        idate = self._month_days(n_iss)
        iacc = np.concatenate([self._pick_accounts(m, "crm", k) for m, k in enumerate(n_iss)])
        NI = len(idate)
        sev = rng.choice(4, NI, p=[0.45, 0.35, 0.15, 0.05])
        scale_days = np.array([12.0, 7.0, 4.0, 2.0])[sev]
        rdate = idate + 1 + np.round(rng.exponential(scale_days)).astype(np.int64)
        rdate = np.where((rdate > self.a) | (rng.random(NI) < 0.05), _NA_DAY, rdate)
        self.store.insert("customer_issues", {
            "issue_id": np.arange(1, NI + 1), "account": _cat(iacc, self.acc_codes),
            "logged_date": idate.astype(np.int32), "severity": _cat(sev, _SEVERITIES),
            "category": _cat(rng.integers(0, len(_ISSUE_CATEGORIES), NI), _ISSUE_CATEGORIES),
            "resolved_date": rdate.astype(np.int32),
        }, {"issue_id": ("I", 6)})

    def targets(self) -> None:
        """Monthly plans near each rep's actual (prorated current month), new starter from hire."""
        rng = self.rng
        M, NR = self.M, self.sc.reps
        own = self.acc_owner
        sales = np.zeros((NR, M))
        margin = np.zeros((NR, M))
        m = own >= 0
        np.add.at(sales, own[m], self.acc_net[m])
        np.add.at(margin, own[m], self.acc_margin[m])
        sales[:, -1] = sales[:, -2]  # the current month is planned in full
        margin[:, -1] = margin[:, -2]
        typical_s = np.median(sales[:-1], axis=0) * 0.3
        typical_m = np.median(margin[:-1], axis=0) * 0.3
        no_acc = sales.sum(axis=1) == 0
        sales[no_acc] = typical_s
        margin[no_acc] = typical_m
        fs = rng.uniform(0.9, 1.25, (NR, M))
        st = np.round(sales * fs, -2) + 0.0
        mt = np.round(margin * fs * rng.uniform(0.95, 1.05, (NR, M)), -2) + 0.0
        rep = np.repeat(np.arange(NR), M)
        mon = np.tile(np.arange(M), NR)
        keep = mon >= self.rep_hired[rep]
        self.store.insert("targets", {
            "rep": _cat(rep[keep], self.rep_codes), "month": _cat(mon[keep], [m[2] for m in self.months]),
            "sales_target": st.ravel()[keep], "margin_target": mt.ravel()[keep],
        })


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------

def generate(out_dir: str | Path, *, as_of: datetime.date, seed: int = 0, scale: str = "small",
             fmt: str = "parquet", progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write every table of contract.TABLES as <out_dir>/<table>.<fmt> (fmt 'parquet' or 'csv'),
    plus <out_dir>/demo.json ({"seed", "scale", "as_of", "format", "rows": {...}}); return rows per table.

    Deterministic: the same seed, scale and as_of give byte-identical files.
    demo.json is written last, so its presence means the dataset is complete.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if isinstance(as_of, datetime.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, datetime.date):
        raise TypeError(f"as_of must be a datetime.date, not {type(as_of).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    say = progress or (lambda message: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta_path = out / "demo.json"
    if meta_path.exists():  # an earlier demo in the other format must not shadow this one
        meta_path.unlink()
        for name in TABLES:
            for ext in FORMATS:
                stale = out / f"{name}.{ext}"
                if ext != fmt and stale.exists():
                    stale.unlink()

    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=out))
    store = _Store(tmp)
    try:
        demo = _Demo(store, as_of, int(seed), scale, say)
        say("reference data")
        demo.make_reference()
        demo.history()
        say("purchase orders and CRM")
        demo.purchase_orders()
        demo.crm()
        demo.targets()
        rows = {}
        for name in TABLES:
            say(f"writing {name}.{fmt}")
            store.write(name, out / f"{name}.{fmt}", fmt)
            rows[name] = store.count(name)
    finally:
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {"seed": int(seed), "scale": scale, "as_of": as_of.isoformat(), "format": fmt, "rows": rows,
            "version": GENERATOR_VERSION}
    tmp_meta = meta_path.with_name("demo.json.part")
    tmp_meta.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp_meta, meta_path)
    return rows
