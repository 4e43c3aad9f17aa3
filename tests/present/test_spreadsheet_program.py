"""The run's spreadsheet opens in a real spreadsheet program (LibreOffice, headless), which reads
every sheet back with the values, text and dates the grid CSVs hold."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from aftersales.present import workbook

SOFFICE = shutil.which("soffice")
#: LibreOffice's CSV export of every sheet (-1), raw values (not as shown), UTF-8, comma, quote.
ALL_SHEETS_AS_CSV = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"


def grid_csv(run: Path, report: str, grid: str, text: str) -> None:
    path = run / "tables" / report / f"{grid}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.skipif(SOFFICE is None, reason="needs LibreOffice's soffice (`.ci/run` installs libreoffice-calc-nogui)")
def test_the_spreadsheet_opens_in_libreoffice_with_every_value_in_place(tmp_path):
    run = tmp_path / "run"
    grid_csv(run, "parts", "activity",
             "date,documents,net,gp_pct\n2024-03-01,2,1234.567800,25.000000\n2024-03-02,1,-8.500000,\n")
    grid_csv(run, "accounts", "accounts",
             'account,name,sales\n00042,=1+2 Garage,10.000000\nA1,"Café, Ünal & <Söhne> ""Ltd""",20.500000\n')
    grid_csv(run, "accounts", "monthly", "account,month,sales,margin\n00042,2024-03,10.000000,4.000000\n")
    (run / "alerts.csv").write_text("rule,account,name,owner,owner_email,value,threshold,message\n"
                                    "gp_drop,A1,Café,R1,,-9.500000,5.000000,GP% fell\n", encoding="utf-8")
    book = tmp_path / "book.xlsx"
    workbook.write(book, run, about={"Dealer": "Demo Motors"})
    out = tmp_path / "sheets"
    done = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                           "--convert-to", ALL_SHEETS_AS_CSV, "--outdir", str(out), str(book)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr

    def sheet(name: str) -> list[list[str]]:
        with open(out / f"book-{name}.csv", encoding="utf-8", newline="") as handle:
            return list(csv.reader(handle))

    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"book-{n}.csv" for n in ("about", "parts_activity", "accounts_accounts", "accounts_monthly", "alerts"))
    assert sheet("about")[0][:2] == ["Dealer", "Demo Motors"]
    assert sheet("parts_activity") == [["Date", "Documents", "Net", "GP%"],
                                       ["2024-03-01", "2", "1234.5678", "25"], ["2024-03-02", "1", "-8.5", ""]]
    assert sheet("accounts_accounts") == [["Account", "Name", "Sales"], ["00042", "=1+2 Garage", "10"],
                                          ["A1", 'Café, Ünal & <Söhne> "Ltd"', "20.5"]]
    month = sheet("accounts_monthly")[1]
    assert month[0] == "00042" and month[2:] == ["10", "4"]
    assert month[1] in ("2024-03", "03/01/2024")  # a date, 1 March 2024 (shown as yyyy-mm; exported raw)
    assert sheet("alerts")[1][:2] == ["gp_drop", "A1"] and sheet("alerts")[1][5:7] == ["-9.5", "5"]
