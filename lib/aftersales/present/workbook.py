"""The run's spreadsheet, for those who live in Excel: every grid CSV of the run as a sheet.

`write(path, run)` reads `<run>/tables/<report>/<grid>.csv` (and `<run>/alerts.csv`) and writes
one sheet per file, named `<report>_<grid>` (at most 31 characters), with a frozen, filtered
header, number formats (money 2 decimals with separators, ratios 1 decimal, hours 2, counts
whole), dates as dates, codes and any other text as text (`00042` stays `00042`, a name
starting with `=` is not a formula) and column widths fitted to the content.

It runs on every run's critical path and a large month is over a million cells, so the sheets
are not built cell by cell in Python: each column's kind is decided once, the column is turned
into its cells' values with pandas/NumPy (each column parsed once), and the rows are streamed in
blocks into the zip (so a large grid costs little memory), each block `%`-formatted at once from
row templates. Text goes to the shared-string table, escaped once per distinct string. The
package is the minimal SpreadsheetML one (content types, workbook, styles, shared strings,
sheets); the tests read it back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from aftersales.config import REPORTS
from aftersales.source.contract import TABLES, TEXT

#: Excel's limits.
SHEET_NAME_MAX = 31
MAX_ROWS = 1_048_575  # data rows under the header
TEXT_MAX = 32_767  # characters in a cell

#: Number formats of each kind of column.
FORMATS = {
    "money": "#,##0.00",
    "ratio": "#,##0.0",
    "factor": "#,##0.00",
    "hours": "#,##0.00",
    "count": "#,##0",
    "decimal": "#,##0.00",
    "date": "yyyy-mm-dd",
    "month": "yyyy-mm",
    "text": "@",
}

#: Columns that always hold text (codes, names) whatever they look like: the contract's text
#: columns and the grids' grouping keys and labels.
TEXT_COLUMNS = {c.name for t in TABLES.values() for c in t.columns if c.type == TEXT} | {
    "department", "sale_type", "operator", "labour_type", "technician", "account", "rep", "territory",
    "segment", "channel", "stage", "state", "order_type", "name", "owner", "owner_name", "owner_email",
    "rule", "message", "document", "wip_no", "doc_type", "model", "category", "severity", "team",
}
TEXT_COLUMNS.discard("month")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
_LEADING_ZERO = re.compile(r"^-?0\d")
#: `_LEADING_ZERO` (its digits ASCII ones) at the start of any of the values joined by "|".
_LEADING_ZERO_JOINED = re.compile(r"\|-?0[0-9]")
#: A space (as `str.isspace` has it) at the start or end of a text, the texts joined by NUL.
_EDGE_SPACE = re.compile(r"\0\s|\s\0")
#: Characters XML 1.0 cannot hold, dropped from text.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: Rows rendered at a time: bounds the memory of a sheet's XML whatever its size.
BLOCK_ROWS = 10_000
#: Day 0 of Excel's 1900 date system (1899-12-30 because Excel counts a 29 February 1900).
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CR = {"\r": "&#13;"}  # kept through XML's line-end normalising
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass
class Column:
    name: str
    header: str
    kind: str
    width: float


def _display() -> tuple[set[str], set[str], dict[str, str]]:
    """Money and hours columns and header labels, as the pages show them."""
    from aftersales.present import tables as present

    money, hours, labels = present.display()
    return set(money), set(hours), dict(labels)


def _all_match(values: np.ndarray, pattern: re.Pattern) -> bool:
    """Every value matches (none to match is all): the first is tried alone, then each distinct value once."""
    return not len(values) or (bool(pattern.match(values[0])) and all(map(pattern.match, pd.unique(values))))


def column_kind(name: str, values: pd.Series, money: set[str] = frozenset(), hours: set[str] = frozenset()) -> str:
    """How a column of CSV text is written: text, date, month, or a kind of number."""
    return _kind(name, values.to_numpy(dtype=object), money, hours)[0]


def _kind(name: str, raw: np.ndarray, money: set[str], hours: set[str]) -> tuple[str, np.ndarray | None]:
    """`column_kind` of a column's CSV text (an object array), with its figures (floats, NaN where
    blank or no number) when it is a kind of number, so the column is parsed once."""
    if name in TEXT_COLUMNS:
        return "text", None
    filled_at = raw != ""
    filled = raw[filled_at]
    if name == "month" or (len(filled) and _all_match(filled, _MONTH)):
        # Scanned once: a second time only when the name alone said "month".
        return ("month" if name != "month" or _all_match(filled, _MONTH) else "text"), None
    if len(filled) and _all_match(filled, _DATE):
        return "date", None
    figures = np.asarray(pd.to_numeric(raw, errors="coerce"), dtype=float)
    numbers = figures[filled_at]
    if np.isnan(numbers).any() or _leading_zero(filled):
        return "text", None
    if name in money:
        return "money", figures
    if name == "clv_cost_ratio":
        return "factor", figures
    if "_pct" in name or name.endswith(("_pct", "_pts")):
        return "ratio", figures
    if name in hours:
        return "hours", figures
    if (numbers == np.round(numbers)).all():
        return "count", figures
    return "decimal", figures


def _leading_zero(values: np.ndarray) -> bool:
    """Any value is written with a leading zero (`0042`, `-07`: `_LEADING_ZERO`), so is a code, not a figure.

    One regex search through the values joined by "|" rather than a match per value (a figure holds
    no "|"; values that do are tried one by one)."""
    if not len(values):
        return False
    texts = values.tolist() if isinstance(values, np.ndarray) else list(values)
    joined = "|" + "|".join(texts)
    if joined.count("|") != len(texts):
        return any(_LEADING_ZERO_JOINED.match("|" + text) for text in texts)
    return _LEADING_ZERO_JOINED.search(joined) is not None


class _Strings:
    """The workbook's shared-string table: each distinct text once, cleaned and escaped once."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def ids(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """The table index of each value (text)."""
        codes, uniques = pd.factorize(values, sort=False)
        uniques = np.asarray(uniques, dtype=object).tolist()
        cleaned = uniques if _is_clean(uniques) else list(map(_clean, uniques))
        index = self.index
        new = [text for text in dict.fromkeys(cleaned) if text not in index]
        index.update(zip(new, range(len(index), len(index) + len(new))))
        ids = np.fromiter(map(index.__getitem__, cleaned), dtype=np.int64, count=len(cleaned))
        self.count += len(codes)
        return ids[codes]

    def xml(self) -> str:
        texts = list(self.index)
        # Escaped all at once: NUL cannot be in a cleaned text, so it parts them again.
        joined = "\0".join(texts)
        escaped = escape(joined, _CR).split("\0") if texts else []
        if _EDGE_SPACE.search(f"\0{joined}\0"):  # some text starts or ends with a space
            items = "".join([f"<si><t{_preserve(s)}>{e}</t></si>" for s, e in zip(texts, escaped)])
        else:
            items = "<si><t>" + "</t></si><si><t>".join(escaped) + "</t></si>" if texts else ""
        return f'{_XML}<sst xmlns="{_MAIN}" count="{self.count}" uniqueCount="{len(self.index)}">{items}</sst>'


def _is_clean(texts: list[str]) -> bool:
    """No text needs `_clean` (read off the texts at once)."""
    return not texts or (max(map(len, texts)) <= TEXT_MAX and not _ILLEGAL.search("".join(texts)))


def _clean(text: str) -> str:
    """Text as a cell can hold it: no characters XML cannot carry, at most Excel's cell length."""
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub("", text)
    return text[:TEXT_MAX]


def _preserve(text: str) -> str:
    return ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""


class _Styles:
    """The cell formats (xf) of the workbook: header cells, and one per number format."""

    BUILTIN = {"General": 0, "#,##0": 3, "#,##0.00": 4, "@": 49}
    HEADER, HEADER_LEFT, HEADER_RIGHT = 1, 2, 3

    def __init__(self) -> None:
        self.custom: dict[str, int] = {}
        self.xf: dict[str, int] = {}
        for code in dict.fromkeys(FORMATS.values()):
            if code not in self.BUILTIN:
                self.custom[code] = 164 + len(self.custom)
            self.xf[code] = 4 + len(self.xf)

    def of(self, kind: str) -> int:
        return self.xf[FORMATS[kind]]

    def xml(self) -> str:
        fmts = "".join(f'<numFmt numFmtId="{i}" formatCode={quoteattr(code)}/>' for code, i in self.custom.items())
        fmts = f'<numFmts count="{len(self.custom)}">{fmts}</numFmts>' if fmts else ""
        header = 'numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"'
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>', f"<xf {header}/>"]
        xfs += [f'<xf {header} applyAlignment="1"><alignment horizontal="{side}"/></xf>' for side in ("left", "right")]
        xfs += [f'<xf numFmtId="{self.BUILTIN[code] if code in self.BUILTIN else self.custom[code]}" fontId="0" '
                f'fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' for code in self.xf]
        font = '<sz val="11"/>{}<name val="Calibri"/><family val="2"/>'
        white = '<color rgb="FFFFFFFF"/>'
        return (
            f'{_XML}<styleSheet xmlns="{_MAIN}">{fmts}'
            f'<fonts count="2"><font>{font.format("")}</font><font><b/>{font.format(white)}'
            '</font></fonts><fills count="3"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid">'
            '<fgColor rgb="FF1F4E79"/><bgColor indexed="64"/></patternFill></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
        )


@dataclass
class _Cells:
    """A column's cells: `<c r="{letter}{row}{middle}{value}</v></c>`, none where blank.

    The values stay numbers (shared-string indexes, Excel day numbers, figures) until a block of
    rows is rendered, so only a block's text is ever held. A block is rendered by `%`-formatting a
    row template with the block's values (Python's own C loop, `str` of a float being its shortest
    exact text, `repr`), not by building each cell's text in an array of its own."""

    letter: str
    middle: str | np.ndarray  # '" s="4" t="s"><v>', or one per cell where the cells differ
    value: np.ndarray
    blank: np.ndarray  # bool

    def part(self, rows: np.ndarray, lo: int, hi: int) -> tuple[str, list[np.ndarray]]:
        """A cell's template in rows lo:hi (whose numbers as text are `rows`), and the columns of
        values it takes (a `%s` each; the letter and the middles hold no `%`)."""
        if isinstance(self.middle, str):
            return f'<c r="{self.letter}%s{self.middle}%s</v></c>', [rows, self.value[lo:hi]]
        return f'<c r="{self.letter}%s%s%s</v></c>', [rows, self.middle[lo:hi], self.value[lo:hi]]


def _cells(raw: np.ndarray, kind: str, letter: str, styles: _Styles, strings: _Strings,
           figures: np.ndarray | None = None) -> tuple[_Cells, list]:
    """The cells of a column of CSV text (an object array), and the first values shown (for the
    column's width); `figures` are its numbers as `_kind` parsed them, if it did."""
    blank = raw == ""
    text = f'" s="{styles.of("text")}" t="s"><v>'
    if kind == "text":
        value = np.zeros(len(raw), dtype=np.int64)
        value[~blank] = strings.ids(raw[~blank])
        head = [v for v in raw[:2000].tolist() if v]
        head = head if _is_clean(head) else list(map(_clean, head))
        return _Cells(letter, text, value, blank), head
    if kind in ("date", "month"):
        parsed = pd.to_datetime(raw + "-01" if kind == "month" else raw, format="%Y-%m-%d", errors="coerce")
        value = (parsed.to_numpy().astype("datetime64[D]") - _EXCEL_EPOCH).astype(np.int64)
        value = np.where(value < 61, value - 1, value)  # before 1 March 1900 Excel counts a 29 February
        shown = np.asarray(parsed.notna()) & (value >= 1)
        head = [v for v in raw[:2000] if v]
    else:
        value = figures if figures is not None else np.asarray(pd.to_numeric(raw, errors="coerce"), dtype=float)
        shown = np.isfinite(value)
        head = [v for v in value[:2000].tolist() if v == v]
        if kind == "count" and (np.abs(value[shown]) < 2**53).all():
            value = np.where(shown, value, 0).astype(np.int64)  # whole numbers written whole
    odd = ~blank & ~shown  # a date Excel cannot show, or an infinite number: kept as the text written
    own = f'" s="{styles.of(kind)}"><v>'
    if not odd.any():
        return _Cells(letter, own, value, blank), head
    middle = np.full(len(raw), own, dtype=object)
    middle[odd] = text
    value = value.astype(object)
    value[odd] = strings.ids(raw[odd]).astype(object)
    return _Cells(letter, middle, value, blank), head


def _shown_width(values: list, kind: str) -> int:
    """Characters of the widest shown value among the first rows."""
    if not values:
        return 0
    if kind == "text":
        return max(map(len, values))
    if kind in ("date", "month"):
        return 10 if kind == "date" else 7
    spec = ",.0f" if kind == "count" else f",.{1 if kind == 'ratio' else 2}f"
    return max(len(format(v, spec)) for v in _longest(values))


def _longest(values: list[float]) -> list[float]:
    """The figures whose rounded text can be the longest: the largest positive one, the most negative
    one (written as "-" and its size) and any that are not finite, the text of a rounded figure
    growing with its size."""
    figures = np.asarray(values, dtype=float)
    finite = np.isfinite(figures)
    out = figures[~finite].tolist()
    figures = figures[finite]
    negative = np.signbit(figures)
    if not negative.all():
        out.append(figures[~negative].max().item())
    if negative.any():
        out.append(figures[negative].min().item())
    return out


def column_letter(index: int) -> str:
    """Excel's name of the column at 0-based `index`: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_name(report: str, grid: str, taken: set[str]) -> str:
    """`<report>_<grid>`, cut to Excel's 31 characters and made unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", "_", f"{report}_{grid}")[:SHEET_NAME_MAX]
    base, n = name, 1
    while name.lower() in taken:
        n += 1
        suffix = f"~{n}"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def grid_files(run: Path) -> list[tuple[str, str, Path]]:
    """(report, grid, path) of every grid CSV of the run, reports in pack order."""
    folder = run / "tables"
    order = {r: i for i, r in enumerate(REPORTS)}
    found = []
    if folder.exists():
        for path in folder.glob("*/*.csv"):
            found.append((path.parent.name, path.stem, path))
    return sorted(found, key=lambda f: (order.get(f[0], len(order)), f[0], f[1]))


def write(path: Path, run: Path, *, about: Mapping[str, str] | None = None) -> dict:
    """Write the workbook of the run folder `run` to `path`; returns what the manifest records."""
    book = Book(path, run)
    for report in dict.fromkeys(report for report, _, _ in grid_files(run)):
        book.add_report(report)
    return book.close(about or {})


class Book:
    """A run's workbook, written a report at a time in any order (`add_report`), then closed
    with its first sheet, alerts and index parts; its sheets are listed in pack order."""

    def __init__(self, path: Path, run: Path):
        self.path, self.run = path, run
        self.money, self.hours, self.labels = _display()
        self.styles, self.strings = _Styles(), _Strings()
        #: per sheet written: (order key, file number, the run's file, rows, cut, columns)
        self.sheets: list[tuple[tuple, int, str, int, bool, int]] = []
        self.seconds = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)
        # Level 2: a large month's 60 MB of XML deflated in ~0.3 s of CPU instead of ~0.45 s at level 4,
        # for a file ~13 % bigger (level 1 saves little more and is ~21 % bigger).
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=2)

    def add_report(self, report: str) -> None:
        """Write the sheets of every grid CSV the report left in the run folder."""
        order = {r: i for i, r in enumerate(REPORTS)}
        for name, grid, csv_path in grid_files(self.run):
            if name == report:
                self._add((order.get(report, len(order)), report, grid), csv_path)

    def _add(self, key: tuple, csv_path: Path) -> None:
        started = time.monotonic()
        number = len(self.sheets) + 2  # sheet1 is the first sheet, written on close
        columns, cells, count, cut = _grid(csv_path, self.money, self.hours, self.labels, self.styles, self.strings)
        last = f"{column_letter(len(columns) - 1)}{count + 1}" if columns else ""
        heads = [(col.header, self.styles.HEADER_LEFT if col.kind in ("text", "date", "month")
                  else self.styles.HEADER_RIGHT) for col in columns]
        header_row = _text_row(1, heads, self.strings) if columns else ""
        start = (f'<dimension ref="A1{":" + last if last else ""}"/><sheetViews><sheetView workbookViewId="0">'
                 '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                 '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                 f'<sheetFormatPr defaultRowHeight="15"/>{_cols([c.width for c in columns])}'
                 f"<sheetData>{header_row}")
        end = "</sheetData>" + (f'<autoFilter ref="A1:{last}"/>' if columns else "")
        _write_sheet(self.zip, number, start, _rows(cells, count), end, large=count * len(columns) > 5_000_000)
        self.sheets.append((key, number, str(csv_path.relative_to(self.run)), count, cut, len(columns)))
        self.seconds += time.monotonic() - started

    def close(self, about: Mapping[str, str]) -> dict:
        """Add the alerts sheet and the first sheet (what the workbook holds), name the sheets in
        pack order and finish the file; returns what the manifest records."""
        started = time.monotonic()
        alerts = self.run / "alerts.csv"
        if alerts.exists():
            self._add((len(REPORTS) + 1, "", "alerts"), alerts)
        taken: set[str] = {"about"}
        listed = []  # (name, file number, run's file, rows, cut, columns) in pack order
        for key, number, file, rows, cut, width in sorted(self.sheets):
            name = "alerts" if key[2] == "alerts" and not key[1] else sheet_name(key[1], key[2], taken)
            taken.add(name.lower())
            listed.append((name, number, file, rows, cut, width))
        summary = {name: {"file": file, "rows": rows, "cut": cut} for name, _, file, rows, cut, _ in listed}
        _write_about(self.zip, about, summary, self.styles, self.strings)
        self.zip.writestr("[Content_Types].xml", _content_types(len(self.sheets) + 1))
        self.zip.writestr("_rels/.rels", f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                          f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        order = [("about", 1), *((name, number) for name, number, *_ in listed)]
        filters = [(i, name, f"$A$1:${column_letter(width - 1)}${rows + 1}")
                   for i, (name, _, _, rows, _, width) in enumerate(listed, start=1) if width]
        self.zip.writestr("xl/workbook.xml", _workbook_xml(order, filters))
        self.zip.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(self.sheets) + 1))
        self.zip.writestr("xl/styles.xml", self.styles.xml())
        self.zip.writestr("xl/sharedStrings.xml", self.strings.xml())
        self.zip.close()
        self.seconds += time.monotonic() - started
        return {"file": self.path.name, "bytes": self.path.stat().st_size, "seconds": round(self.seconds, 3),
                "sheets": {name: s["rows"] for name, s in summary.items()}}

    def discard(self) -> None:
        self.zip.close()
        self.path.unlink(missing_ok=True)


class InBackground:
    """A run's workbook written in a thread while the run goes on: each report's sheets as soon
    as the report finishes (`add_report`), so that little is left to do when the last one ends."""

    def __init__(self, path: Path, run: Path):
        import queue
        import threading

        self.path, self.run = path, run
        self.book: Book | None = None
        self.error: BaseException | None = None
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.thread = threading.Thread(target=self._work, name="aftersales-workbook", daemon=True)
        self.thread.start()

    def add_report(self, report: str) -> None:
        self.queue.put(report)

    def _work(self) -> None:
        try:
            self.book = Book(self.path, self.run)
            while (report := self.queue.get()) is not None:
                self.book.add_report(report)
        except BaseException as exc:  # reported by close()
            self.error = exc

    def close(self, about: Mapping[str, str]) -> dict:
        """Wait for the sheets of the reports added, then finish the file (raises what went wrong)."""
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            if self.book is not None:
                self.book.discard()
            raise self.error
        return self.book.close(about)


def _grid(csv_path: Path, money: set[str], hours: set[str], labels: dict[str, str], styles: _Styles,
          strings: _Strings) -> tuple[list[Column], list[_Cells], int, bool]:
    """A grid CSV's columns and their cells, its rows (at most Excel's limit) and whether it was cut."""
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_filter=False)
    cut = len(frame) > MAX_ROWS
    frame = frame.head(MAX_ROWS)
    columns, cells = [], []
    for j, c in enumerate(frame.columns):
        raw = frame[c].to_numpy(dtype=object)
        kind, figures = _kind(c, raw, money, hours)
        column, head = _cells(raw, kind, column_letter(j), styles, strings, figures)
        header = labels.get(c, c.replace("_", " ").capitalize())
        width = min(60, max(len(header) + 3, _shown_width(head, kind) + 2, 8))
        columns.append(Column(c, header, kind, width))
        cells.append(column)
    return columns, cells, len(frame), cut


def _rows(cells: list[_Cells], count: int) -> Iterator[str]:
    """The data rows' XML (the header is row 1), a block of rows at a time."""
    for lo in range(0, count, BLOCK_ROWS):
        hi = min(count, lo + BLOCK_ROWS)
        yield _block(cells, lo, hi)


def _block(cells: list[_Cells], lo: int, hi: int) -> str:
    """Rows lo:hi's XML, `%`-formatted at once: each row's template (its cells, less its blank ones)
    filled with the values of the cells it has, row by row."""
    n = hi - lo
    numbers = np.array(list(map(str, range(lo + 2, hi + 2))), dtype=object)
    parts, columns, blanks = [], [numbers], []  # a cell's template, its values, where it is blank
    for column in cells:
        part, values = column.part(numbers, lo, hi)
        blank = column.blank[lo:hi]
        parts.append(part)
        blanks.append(blank if blank.any() else None)
        columns += values
    grid = np.empty((n, len(columns)), dtype=object)
    for j, values in enumerate(columns):
        grid[:, j] = values  # numbers become Python ints and floats, whose str is their shortest exact text
    gaps = [j for j, blank in enumerate(blanks) if blank is not None]
    if not gaps:
        return ('<row r="%s">' + "".join(parts) + "</row>") * n % tuple(grid.ravel().tolist())
    # Rows differ in their blank cells: one template per pattern of blanks, the values of the cells kept.
    patterns, which = _patterns(np.column_stack([blanks[j] for j in gaps]))
    templates = []
    for pattern in patterns:
        skip = {j for j, blank in zip(gaps, pattern) if blank}
        templates.append('<row r="%s">' + "".join(p for j, p in enumerate(parts) if j not in skip) + "</row>")
    keep = np.ones(grid.shape, dtype=bool)
    at = 1
    for part, blank in zip(parts, blanks):
        width = part.count("%s")
        if blank is not None:
            keep[:, at:at + width] = ~blank[:, None]
        at += width
    template = "".join(np.array(templates, dtype=object)[which].tolist())
    return template % tuple(grid[keep].tolist())


def _patterns(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a bool matrix and which of them each row is (`np.unique(axis=0)`, by a
    number per row where the columns are few enough)."""
    if flags.shape[1] > 62:
        patterns, which = np.unique(flags, axis=0, return_inverse=True)
        return patterns, which.reshape(-1)
    codes, which = np.unique(flags @ (np.int64(1) << np.arange(flags.shape[1], dtype=np.int64)), return_inverse=True)
    return (codes[:, None] >> np.arange(flags.shape[1], dtype=np.int64)) & 1 == 1, which.reshape(-1)


def _text_row(number: int, cells: list[tuple[str, int]], strings: _Strings) -> str:
    """A row of text cells [(text, xf)] from column A."""
    ids = strings.ids(pd.Series([text for text, _ in cells], dtype=object)) if cells else []
    out = "".join(f'<c r="{column_letter(j)}{number}" s="{xf}" t="s"><v>{i}</v></c>'
                  for j, ((_, xf), i) in enumerate(zip(cells, ids)))
    return f'<row r="{number}">{out}</row>'


def _cols(widths: list[float]) -> str:
    if not widths:
        return ""
    cols = "".join(f'<col min="{j}" max="{j}" width="{w}" customWidth="1"/>' for j, w in enumerate(widths, start=1))
    return f"<cols>{cols}</cols>"


def _write_sheet(book: zipfile.ZipFile, number: int, start: str, rows: Iterator[str], end: str, *,
                 large: bool = False) -> None:
    """Stream sheet `number`'s XML into the zip: its head, its rows block by block, its tail."""
    with book.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=large) as out:
        out.write(f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{start}'.encode())
        for block in rows:
            out.write(block.encode())
        out.write(f'{end}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                  'footer="0.3"/></worksheet>'.encode())


def _write_about(book: zipfile.ZipFile, about: Mapping[str, str], sheets: dict[str, dict], styles: _Styles,
                 strings: _Strings) -> None:
    rows, n = [], 0
    for key, value in about.items():
        n += 1
        rows.append(_text_row(n, [(str(key), 0), (str(value), 0)], strings))
    n += 2
    rows.append(_text_row(n, [("Sheet", styles.HEADER), ("From the run's file", styles.HEADER),
                              ("Rows", styles.HEADER)], strings))
    for name, s in sheets.items():
        n += 1
        note = " (cut at Excel's row limit)" if s["cut"] else ""
        row = _text_row(n, [(name, 0), (s["file"] + note, 0)], strings)
        count = f'<c r="C{n}" s="{styles.of("count")}"><v>{s["rows"]}</v></c>'
        rows.append(row.replace("</row>", count + "</row>"))
    start = (f'<dimension ref="A1:C{n}"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
             f'<sheetFormatPr defaultRowHeight="15"/>{_cols([34, 44, 12])}<sheetData>')
    _write_sheet(book, 1, start, iter(rows), "</sheetData>")


def _content_types(sheets: int) -> str:
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = [f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{kind}.worksheet+xml"/>'
             for i in range(1, sheets + 1)]
    return (f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{kind}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/>'
            f'{"".join(parts)}</Types>')


def _workbook_xml(sheets: list[tuple[str, int]], filters: list[tuple[int, str, str]]) -> str:
    """The workbook part: its sheets [(name, file number)] in tab order, and each sheet's filter range."""
    listed = "".join(f'<sheet name={quoteattr(name)} sheetId="{number}" r:id="rId{number}"/>'
                     for name, number in sheets)
    defined = "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                      f"{escape(_quoted(name))}!{ref}</definedName>" for i, name, ref in filters)
    return (f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView activeTab="0"/></bookViews>'
            f'<sheets>{listed}</sheets>{f"<definedNames>{defined}</definedNames>" if defined else ""}</workbook>')


def _quoted(name: str) -> str:
    """A sheet name as a formula refers to it: 'name', a quote inside doubled."""
    return "'" + name.replace("'", "''") + "'"


def _workbook_rels(sheets: int) -> str:
    rels = [f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, sheets + 1)]
    rels.append(f'<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>')
    rels.append(f'<Relationship Id="rId{sheets + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>')
    return f'{_XML}<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>'


def file_name(start: dt.date, end: dt.date) -> str:
    """aftersales_<from>_<to>.xlsx"""
    return f"aftersales_{start.isoformat()}_{end.isoformat()}.xlsx"
