"""The input data contract (SPEC §2): every table's columns, types and keys.

This module only *describes* the tables; `source.py` reads them and
`validate.py` checks a source against this description.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column types of the contract.
TEXT = "text"
NUMBER = "number"
INTEGER = "integer"
DATE = "date"
TIMESTAMP = "timestamp"
BOOLEAN = "boolean"

#: SQL type each contract type is cast to once read.
SQL_TYPES = {
    TEXT: "VARCHAR",
    NUMBER: "DOUBLE",
    INTEGER: "BIGINT",
    DATE: "DATE",
    TIMESTAMP: "TIMESTAMP",
    BOOLEAN: "BOOLEAN",
}

#: Text a CSV boolean may hold (any case).
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    allowed: tuple[str, ...] = ()  # closed list of values (doc_type, movement_type …)
    #: a column the source may lack altogether (SPEC §6.1: `branch`, `pay_type`): read as empty then
    optional: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    optional: bool = False
    key: tuple[str, ...] = ()  # columns that identify a row; duplicates are errors
    date_column: str | None = None  # the reporting date used to filter a period
    checks: tuple[str, ...] = field(default=())  # extra named row rules (see validate.py)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        """The columns every source of this table has (the optional ones of SPEC §6.1 left out)."""
        return [c.name for c in self.columns if not c.optional]

    @property
    def all_names(self) -> list[str]:
        """Every column, the optional ones included: what a typed relation of the table holds."""
        return [c.name for c in self.columns]


def _cols(*specs: tuple) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in specs)


DOC_TYPES = ("invoice", "credit")
MOVEMENT_TYPES = ("invoiced", "returned", "requisitioned", "reversed", "received")
STAGES = ("qualified", "proposal", "negotiation", "won", "lost")
SEVERITIES = ("low", "medium", "high", "critical")
#: SPEC §6.1: the closed lists of the second edition (case-sensitive).
PAY_TYPES = ("customer", "warranty", "internal")
BUDGET_MEASURES = ("parts_net", "parts_profit", "labour_net", "labour_profit", "hours_sold")
CODE_KINDS = ("department", "sale_type", "labour_type", "idle_code", "reason", "pay_type")

#: The tables that carry a `branch` column (SPEC §6.1), and those where a line must name its branch
#: once the column exists (an empty branch there is bad input).
BRANCH_TABLES = ("parts_lines", "labour_lines", "clockings", "parts_movements", "purchase_order_lines",
                 "parts_stock", "budgets", "overheads")
BRANCH_REQUIRED = ("parts_lines", "labour_lines", "clockings")


def _branch(table: str) -> Column:
    return Column("branch", TEXT, nullable=table not in BRANCH_REQUIRED, optional=True)


_PAY_TYPE = Column("pay_type", TEXT, nullable=True, allowed=PAY_TYPES, optional=True)

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "parts_lines",
            _cols(
                ("document", TEXT),
                ("doc_type", TEXT, False, DOC_TYPES),
                ("date_edit", DATE),
                ("account", TEXT),
                ("wip_no", TEXT, True),
                ("department", TEXT),
                ("sale_type", TEXT),
                ("operator", TEXT),
                ("part_no", TEXT),
                ("quantity", NUMBER),
                ("retail_price", NUMBER),
                ("selling_price", NUMBER),
                ("discount", NUMBER),
                ("cost_price", NUMBER),
                ("menu_normal_value", NUMBER, True),
                ("menu_fixed_value", NUMBER, True),
                ("first_pick", BOOLEAN, True),
                ("vor_loss", NUMBER, True),
            ) + (_branch("parts_lines"), _PAY_TYPE),
            date_column="date_edit",
        ),
        Table(
            "labour_lines",
            _cols(
                ("wip_no", TEXT),
                ("line_no", INTEGER),
                ("document", TEXT, True),
                ("doc_type", TEXT, True, DOC_TYPES),
                ("date_created", DATE),
                ("date_edit", DATE, True),
                ("account", TEXT),
                ("department", TEXT),
                ("labour_type", TEXT),
                ("wip_owner", TEXT),
                ("technician", TEXT, True),
                ("allowed_time", NUMBER),
                ("time_taken", NUMBER),
                ("minutes_per_unit", NUMBER),
                ("labour_rate", NUMBER),
                ("contribution", NUMBER),
                ("cost_per_hour", NUMBER),
                ("flat_rate", BOOLEAN),
                ("discount", NUMBER),
                ("menu_normal_value", NUMBER, True),
                ("menu_fixed_value", NUMBER, True),
            ) + (_branch("labour_lines"), _PAY_TYPE),
            key=("wip_no", "line_no", "technician"),
            date_column="date_edit",
        ),
        Table(
            "clockings",
            _cols(
                ("technician", TEXT),
                ("technician_name", TEXT),
                ("clock_in", TIMESTAMP),
                ("clock_out", TIMESTAMP, True),
                ("wip_no", TEXT, True),
                ("line_no", INTEGER, True),
                ("idle_code", TEXT, True),
                ("idle_productive", BOOLEAN, True),
                ("reason", TEXT, True),
                ("description", TEXT, True),
            ) + (_branch("clockings"),),
            checks=("clock_out_before_clock_in",),
        ),
        Table(
            "parts_movements",
            _cols(
                ("date", DATE),
                ("part_no", TEXT),
                ("movement_type", TEXT, False, MOVEMENT_TYPES),
                ("quantity", NUMBER),
                ("value", NUMBER),
            ) + (_branch("parts_movements"),),
            optional=True,
            date_column="date",
        ),
        Table(
            "purchase_order_lines",
            _cols(
                ("order_no", TEXT),
                ("line_no", INTEGER),
                ("part_no", TEXT),
                ("state", TEXT),
                ("order_type", TEXT),
                ("outstanding_qty", NUMBER),
                ("date_created", DATE),
                ("date_required", DATE, True),
                ("grn_date", DATE, True),
            ) + (_branch("purchase_order_lines"),),
            optional=True,
        ),
        Table(
            "accounts",
            _cols(
                ("account", TEXT),
                ("name", TEXT),
                ("owner", TEXT, True),
                ("territory", TEXT, True),
                ("segment", TEXT, True),
                ("channel", TEXT, True),
                ("email", TEXT, True),
            ),
            key=("account",),
        ),
        Table(
            "sales_reps",
            _cols(
                ("rep", TEXT),
                ("name", TEXT),
                ("team", TEXT, True),
                ("territory", TEXT, True),
                ("email", TEXT, True),
                ("annual_cost", NUMBER, True),
                ("commission_rate", NUMBER, True),
            ),
            optional=True,
            key=("rep",),
        ),
        Table(
            "targets",
            _cols(
                ("rep", TEXT),
                ("month", TEXT),
                ("sales_target", NUMBER),
                ("margin_target", NUMBER),
            ),
            optional=True,
            checks=("month_format",),
        ),
        Table(
            "leads",
            _cols(
                ("lead_id", TEXT),
                ("created_date", DATE),
                ("rep", TEXT),
                ("channel", TEXT),
                ("segment", TEXT),
                ("territory", TEXT),
                ("cost", NUMBER, True),
                ("account", TEXT, True),
            ),
            optional=True,
            key=("lead_id",),
            date_column="created_date",
        ),
        Table(
            "opportunities",
            _cols(
                ("opp_id", TEXT),
                ("lead_id", TEXT, True),
                ("account", TEXT, True),
                ("rep", TEXT),
                ("stage", TEXT, False, STAGES),
                ("model", TEXT, True),
                ("potential_revenue", NUMBER),
                ("created_date", DATE),
                ("expected_close", DATE, True),
                ("closed_date", DATE, True),
            ),
            optional=True,
            key=("opp_id",),
        ),
        Table(
            "activities",
            _cols(
                ("activity_id", TEXT),
                ("date", DATE),
                ("rep", TEXT),
                ("account", TEXT, True),
                ("activity_type", TEXT),
                ("duration_minutes", NUMBER),
            ),
            optional=True,
            key=("activity_id",),
            date_column="date",
        ),
        Table(
            "customer_issues",
            _cols(
                ("issue_id", TEXT),
                ("account", TEXT),
                ("logged_date", DATE),
                ("severity", TEXT, False, SEVERITIES),
                ("category", TEXT),
                ("resolved_date", DATE, True),
            ),
            optional=True,
            key=("issue_id",),
        ),
        # ---- second edition (SPEC §6.1): every table optional
        Table(
            "branches",
            _cols(("branch", TEXT), ("name", TEXT), ("region", TEXT, True)),
            optional=True,
            key=("branch",),
        ),
        Table(
            "budgets",
            (_branch("budgets"),) + _cols(
                ("month", TEXT),
                ("measure", TEXT, False, BUDGET_MEASURES),
                ("value", NUMBER),
            ),
            optional=True,
            key=("branch", "month", "measure"),
            checks=("month_format",),
        ),
        Table(
            "overheads",
            (_branch("overheads"),) + _cols(("month", TEXT), ("amount", NUMBER)),
            optional=True,
            key=("branch", "month"),
            checks=("month_format", "amount_not_negative"),
        ),
        Table(
            "parts_stock",
            (_branch("parts_stock"),) + _cols(
                ("part_no", TEXT),
                ("on_hand_qty", NUMBER),
                ("unit_cost", NUMBER),
                ("last_sale_date", DATE, True),
                ("last_receipt_date", DATE, True),
            ),
            optional=True,
            key=("branch", "part_no"),
        ),
        Table(
            "codes",
            _cols(("kind", TEXT, False, CODE_KINDS), ("code", TEXT), ("description", TEXT)),
            optional=True,
            key=("kind", "code"),
        ),
    ]
}

#: The tables each report reads (the first ones are required by it).
REPORT_TABLES: dict[str, tuple[str, ...]] = {
    "parts": ("parts_lines", "accounts", "parts_movements", "purchase_order_lines"),
    "labour": ("labour_lines", "accounts"),
    "workshop": ("labour_lines", "clockings"),
    "accounts": ("parts_lines", "labour_lines", "accounts", "sales_reps"),
    "sales": (
        "parts_lines",
        "labour_lines",
        "accounts",
        "sales_reps",
        "targets",
        "leads",
        "opportunities",
        "activities",
        "customer_issues",
    ),
    "operations": ("parts_lines", "labour_lines", "overheads", "parts_stock"),
}

#: The tables every report's page reads whatever the report (the descriptions shown beside codes), so a
#: run checks them whichever reports it makes.
PAGE_TABLES: tuple[str, ...] = ("codes",)


class DataError(Exception):
    """A source breaks the contract: names the table, the column and the rows."""

    def __init__(
        self,
        table: str,
        column: str | None,
        problem: str,
        rows: list[int] | None = None,
        count: int | None = None,
        examples: list[str] | None = None,
    ):
        self.table = table
        self.column = column
        self.problem = problem
        self.rows = list(rows or [])
        self.count = count if count is not None else len(self.rows)
        self.examples = list(examples or [])
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        text = f"{where}: {self.problem}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            more = f" ({self.count} rows in all)" if self.count > len(self.rows) else ""
            text += f"; first offending rows {shown}{more}"
            if self.examples:
                text += " with values " + ", ".join(repr(e) for e in self.examples)
        elif self.count:
            text += f" ({self.count} rows)"
        return text
