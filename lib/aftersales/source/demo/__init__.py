"""The built-in demo dataset: a deterministic, made-up dealer or dealer group (SPEC §2 and §6.1).

``generate(out_dir, as_of=..., seed=..., scale=..., branches=1)`` writes every
table of ``contract.TABLES``, every column (the optional ones of §6.1 too), as
``<out_dir>/<table>.parquet`` (or ``.csv``) plus ``<out_dir>/demo.json``.
Same seed, scale, branches and as_of give byte-identical files.

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
  technician of its branch and department, balancing the day's load by capacity, and the
  technician's clock card gets a clocking to the line of exactly the time
  taken, then idle clockings fill the rest of the shift (so clocked job hours
  equal the lines' time taken);
* jobs not invoiced by ``as_of`` stay work in progress (labour lines without
  document; their parts are not in ``parts_lines`` yet but were requisitioned);
* stock movements are derived from the parts lines (invoiced / returned at the
  counter, requisitioned to and reversed from jobs, received weekly), and the
  stock file on ``as_of`` from the movements (last sale, last receipt, demand);
* a group of N branches ("01" … "30") shares the same total volume: every
  document and job belongs to a branch, and so do operators, technicians,
  movements, purchase orders, stock, budgets and overheads; accounts, reps,
  targets and the CRM are shared.  With N ≥ 3 one branch trading on the lines
  is missing from ``branches`` (data quality); one branch name holds markup;
* lines carry a pay type (customer, warranty at a lower labour rate, internal;
  a few left empty) and are priced in whole cents, so every line's gross, net
  and cost is whole cents and every sum of a pack ties to the cent;
* budgets are set from what each branch does (the current month: some
  measures ahead of budget, some behind), overheads so that aftersales gross
  profit absorbs about 60–110 % of them.

Rows are staged month by month into a temporary DuckDB database on disk and
copied into the final file by one single-threaded ``COPY`` per table, so memory
stays bounded and row order (and thus the bytes) never depends on threads.

Dates are ≤ ``as_of`` everywhere except two forward-looking planning columns:
``purchase_order_lines.date_required`` and ``opportunities.expected_close`` may
lie after ``as_of`` (an order due next week, a deal expected to close next
month).  ``targets`` and ``overheads`` hold months up to ``as_of``'s month;
``budgets`` the months up to December of ``as_of``'s year (a year's budget).

Where things are
----------------
``build``      ``generate``: the table families put together; writes the files and demo.json
``ensure``     the cached built-in dataset a run uses when it is given no source
``base``       the scales, the volumes, the months and trading days every family draws on
``names``      the reference lists and names (departments, operators, sale and labour types …)
``accounts``   the accounts, and which of them buy in a month
``parts``      the parts catalogue, pricing, counter sales
``labour``     workshop and bodyshop jobs: labour lines and the parts sold through them
``clockings``  the technicians and their clockings
``history``    the month-by-month loop, and the flush writing parts_lines and labour_lines
``stock``      parts movements, purchase orders, the stock file (parts_stock)
``crm``        sales reps, leads, opportunities, activities, customer issues, targets
``groups``     the branches, their operators, the branches and codes tables
``plans``      what each branch does per month, its budgets and overheads
``store``      staging in a temporary DuckDB database, writing parquet or csv
``arrays``     small numpy helpers and the staged "empty" values
"""

from __future__ import annotations

from aftersales.source.demo.base import FORMATS, HISTORY_MONTHS, SCALES
from aftersales.source.demo.build import GENERATOR_VERSION, generate
from aftersales.source.demo.cache import ensure
from aftersales.source.demo.groups import MAX_BRANCHES, branch_codes, missing_branch
from aftersales.source.demo.names import (
    _MOVES,  # noqa: F401  (the movement types, read by tests/test_demo.py)
    BRANCH_MARKUP_NAME,
    DEPARTMENTS,
    IDLE_CODES,
    LABOUR_TYPES,
    MARKUP_NAME,
    OPERATORS,
    PAY_TYPES,
    REASONS,
    SALE_TYPES,
)

__all__ = [
    "SCALES", "FORMATS", "HISTORY_MONTHS", "GENERATOR_VERSION", "MAX_BRANCHES", "generate", "ensure",
    "branch_codes", "missing_branch",
    "DEPARTMENTS", "OPERATORS", "SALE_TYPES", "LABOUR_TYPES", "IDLE_CODES", "REASONS", "PAY_TYPES",
    "MARKUP_NAME", "BRANCH_MARKUP_NAME",
]
