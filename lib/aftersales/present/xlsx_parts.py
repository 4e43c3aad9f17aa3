"""The SpreadsheetML parts of the run's spreadsheet, written by hand: shared strings, styles,
sheets streamed row block by row block, the about sheet, the workbook and its relationships.

A large month is over a million cells, so the sheets are not built cell by cell in Python: a
column's cells are its values as NumPy arrays (shared-string indexes, Excel day numbers,
figures, `cells`), and the rows are rendered a block at a time (`row_blocks`), each block
`%`-formatted at once from row templates, then streamed into the zip (so a large grid costs
little memory). Text goes to the shared-string table, escaped once per distinct string. The
package is the minimal SpreadsheetML one (content types, workbook, styles, shared strings,
sheets); the tests read it back with openpyxl and open it in LibreOffice.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from aftersales.present.xlsx_cells import FORMATS, cell_texts, clean, is_clean

#: Rows rendered at a time: bounds the memory of a sheet's XML whatever its size.
BLOCK_ROWS = 10_000
#: Day 0 of Excel's 1900 date system (1899-12-30 because Excel counts a 29 February 1900).
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CR = {"\r": "&#13;"}  # kept through XML's line-end normalising
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: A space (as `str.isspace` has it) at the start or end of a text, the texts joined by NUL.
_EDGE_SPACE = re.compile(r"\0\s|\s\0")


class Strings:
    """The workbook's shared-string table: each distinct text once, cleaned and escaped once."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def ids(self, values: np.ndarray | pd.Series, *, csv: bool = False) -> np.ndarray:
        """The table index of each value (text); `csv`: CSV cells, their formula guard taken off."""
        codes, uniques = pd.factorize(values, sort=False)
        uniques = np.asarray(uniques, dtype=object).tolist()
        if csv:
            uniques = cell_texts(uniques)
        cleaned = uniques if is_clean(uniques) else list(map(clean, uniques))
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



def _preserve(text: str) -> str:
    return ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""


class Styles:
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
class Cells:
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


def cells(raw: np.ndarray, kind: str, letter: str, styles: Styles, strings: Strings,
          figures: np.ndarray | None = None) -> tuple[Cells, list]:
    """The cells of a column of CSV text (an object array), and the first values shown (for the
    column's width); `figures` are its numbers as `kind_of` parsed them, if it did."""
    blank = raw == ""
    text = f'" s="{styles.of("text")}" t="s"><v>'
    if kind == "text":
        value = np.zeros(len(raw), dtype=np.int64)
        value[~blank] = strings.ids(raw[~blank], csv=True)
        head = cell_texts([v for v in raw[:2000].tolist() if v])
        head = head if is_clean(head) else list(map(clean, head))
        return Cells(letter, text, value, blank), head
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
        return Cells(letter, own, value, blank), head
    middle = np.full(len(raw), own, dtype=object)
    middle[odd] = text
    value = value.astype(object)
    value[odd] = strings.ids(raw[odd]).astype(object)
    return Cells(letter, middle, value, blank), head


def column_letter(index: int) -> str:
    """Excel's name of the column at 0-based `index`: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def row_blocks(cells: list[Cells], count: int) -> Iterator[str]:
    """The data rows' XML (the header is row 1), a block of rows at a time."""
    for lo in range(0, count, BLOCK_ROWS):
        hi = min(count, lo + BLOCK_ROWS)
        yield _block(cells, lo, hi)


def _block(cells: list[Cells], lo: int, hi: int) -> str:
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


def text_row(number: int, cells: list[tuple[str, int]], strings: Strings) -> str:
    """A row of text cells [(text, xf)] from column A."""
    ids = strings.ids(pd.Series([text for text, _ in cells], dtype=object)) if cells else []
    out = "".join(f'<c r="{column_letter(j)}{number}" s="{xf}" t="s"><v>{i}</v></c>'
                  for j, ((_, xf), i) in enumerate(zip(cells, ids)))
    return f'<row r="{number}">{out}</row>'


def cols(widths: list[float]) -> str:
    """A sheet's column widths (characters), from column A."""
    if not widths:
        return ""
    items = "".join(f'<col min="{j}" max="{j}" width="{w}" customWidth="1"/>' for j, w in enumerate(widths, start=1))
    return f"<cols>{items}</cols>"


def write_sheet(book: zipfile.ZipFile, number: int, start: str, blocks: Iterator[str], end: str, *,
                large: bool = False) -> None:
    """Stream sheet `number`'s XML into the zip: its head, its rows block by block, its tail."""
    with book.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=large) as out:
        out.write(f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{start}'.encode())
        for block in blocks:
            out.write(block.encode())
        out.write(f'{end}<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                  'footer="0.3"/></worksheet>'.encode())


def write_about(book: zipfile.ZipFile, about: Mapping[str, str], sheets: dict[str, dict], styles: Styles,
                strings: Strings) -> None:
    """The first sheet: the `about` pairs, then each sheet with the run's file it holds and its rows."""
    lines, n = [], 0
    for key, value in about.items():
        n += 1
        lines.append(text_row(n, [(str(key), 0), (str(value), 0)], strings))
    n += 2
    lines.append(text_row(n, [("Sheet", styles.HEADER), ("From the run's file", styles.HEADER),
                              ("Rows", styles.HEADER)], strings))
    for name, s in sheets.items():
        n += 1
        note = " (cut at Excel's row limit)" if s["cut"] else ""
        row = text_row(n, [(name, 0), (s["file"] + note, 0)], strings)
        count = f'<c r="C{n}" s="{styles.of("count")}"><v>{s["rows"]}</v></c>'
        lines.append(row.replace("</row>", count + "</row>"))
    start = (f'<dimension ref="A1:C{n}"/><sheetViews><sheetView tabSelected="1" workbookViewId="0"/></sheetViews>'
             f'<sheetFormatPr defaultRowHeight="15"/>{cols([34, 44, 12])}<sheetData>')
    write_sheet(book, 1, start, iter(lines), "</sheetData>")


def content_types(sheets: int) -> str:
    """The package's content types, for `sheets` sheets."""
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


def package_rels() -> str:
    """The package's relationships: its workbook."""
    return (f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>')


def workbook_xml(sheets: list[tuple[str, int]], filters: list[tuple[int, str, str]]) -> str:
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


def workbook_rels(sheets: int) -> str:
    """The workbook's relationships: its `sheets` sheets, styles and shared strings."""
    rels = [f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, sheets + 1)]
    rels.append(f'<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/>')
    rels.append(f'<Relationship Id="rId{sheets + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>')
    return f'{_XML}<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>'

