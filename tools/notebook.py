"""Write a report notebook from a list of cell sources (used once per report; the
notebooks are then edited as notebooks). Usage: python tools/notebook.py OUT.ipynb CELLS.py
where CELLS.py separates cells with lines `# %%` (markdown cells start `# %% [markdown]`)."""

import sys

import nbformat

PARAMETERS = '''source = ""  # str: data source: a folder, a .duckdb file or a database URL; empty means built-in demo data
period = "mtd"  # str: today, mtd, ytd, last-month or last-year; used when date_from and date_to are empty
date_from = ""  # str: first day YYYY-MM-DD; empty means from period
date_to = ""  # str: last day YYYY-MM-DD; empty means from period
as_of = ""  # str: the day the figures are as of YYYY-MM-DD; empty means today
params_file = ""  # str: YAML settings laid over params/default.yaml; empty means defaults
out_dir = ""  # str: run folder the CSV tables are written to; empty means write nothing
interactive = False  # bool: show the widgets for exploring in JupyterLab
branch = ""  # str: a branch code for one branch's figures (SPEC §6.2); empty means the whole group'''


def main(out: str, cells_file: str) -> None:
    text = open(cells_file, encoding="utf-8").read()
    chunks = [c.strip("\n") for c in text.split("# %%")]
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "aftersales", "display_name": "Aftersales", "language": "python"},
        "language_info": {"name": "python"},
    }
    cell = nbformat.v4.new_code_cell(PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    nb.cells.append(cell)
    for chunk in chunks:
        if not chunk.strip():
            continue
        if chunk.startswith(" [markdown]"):
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in chunk.splitlines()[1:])
            nb.cells.append(nbformat.v4.new_markdown_cell(body.strip()))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(chunk.strip()))
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:02d}"
    nbformat.write(nb, out)


if __name__ == "__main__":
    main(*sys.argv[1:])
