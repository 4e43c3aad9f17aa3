"""Run settings: `params/default.yaml` with a user's YAML file laid over it.

A settings file is read strictly: UTF-8 text holding a mapping, no anchors or aliases (a
"billion laughs" file is refused before it grows), no key twice, no unknown key, every value of
the default's kind and every number finite and inside its range. Errors name the file, the key
and (for a repeated key) both lines, and never print a value longer than a line.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml

from aftersales.config import DEFAULT_PARAMS


class ParamsError(ValueError):
    """A settings file that cannot be used: unknown key, wrong type, bad YAML."""


#: The range of every numeric setting: (lowest, highest, whole numbers only). A number outside
#: its range is an error naming the key and the range.
RANGES: dict[str, tuple[float, float, bool]] = {
    "alerts.gp_drop": (0, 100, False),
    "alerts.sales_decline": (0, 100, False),
    "alerts.large_document": (0, 1e12, False),
    "alerts.min_prior_sales": (0, 1e12, False),
    "alerts.min_sales": (0, 1e12, False),
    "workshop_targets.utilisation": (0, 1000, False),
    "workshop_targets.efficiency": (0, 1000, False),
    "workshop_targets.productivity": (0, 1000, False),
    "report.drilldown_rows": (1, 1_000_000, True),
    "report.page_rows": (1, 1_000_000, True),
    # lines a Parts or Labour page holds for its drill-down (a row → its documents → their lines):
    # a month of lines would make a page of megabytes; 0 holds none
    "report.drill_lines": (0, 1_000_000, True),
    "report.top_accounts": (1, 1000, True),
    "run.timeout_seconds": (1, 7 * 24 * 3600, False),
    "operations.absorption_target": (0, 1000, False),
}

#: The longest a value is quoted in an error message.
_SHOWN = 60


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML without anchors or aliases, refusing a key given twice in one mapping."""


def _compose_node(self, parent, index):
    if self.check_event(yaml.AliasEvent) or getattr(self.peek_event(), "anchor", None):
        event = self.peek_event()
        raise yaml.MarkedYAMLError(None, None, "anchors and aliases (& and *) are not allowed in settings",
                                   event.start_mark)
    return yaml.SafeLoader.compose_node(self, parent, index)


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.YAMLError(f"the key {_shown(key)} is given twice (lines {seen[key]} and {line})")
        seen[key] = line
    return loader.construct_mapping(node, deep=True)


_StrictLoader.compose_node = _compose_node
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _read(path: Path) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ParamsError(f"params file {path} does not exist") from None
    except IsADirectoryError:
        raise ParamsError(f"params file {path} is a folder, not a YAML file") from None
    except UnicodeDecodeError as exc:
        raise ParamsError(f"params file {path} is not UTF-8 text (byte {exc.start} cannot be read)") from None
    except OSError as exc:
        raise ParamsError(f"params file {path} cannot be read: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" (line {mark.line + 1})"
        message = (getattr(exc, "problem", None) or (first[0] if first else "unreadable"))
        raise ParamsError(f"params file {path} is not valid YAML{where}: {message[:200]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(f"params file {path} must hold a mapping of settings")
    return data


def _overlay(base: dict, extra: dict, where: str, origin: Path) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        name = f"{where}{key}"
        if key not in base:
            known = ", ".join(sorted(base))
            raise ParamsError(f"{origin}: unknown setting {_shown(name)} (known here: {known})")
        default = base[key]
        if isinstance(default, dict) and not default:  # a free mapping (notify.branch_managers): code -> text
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ParamsError(f"{origin}: setting {name!r} must be a mapping of codes to text, got {_shown(value)}")
            out[key] = {str(k): v for k, v in value.items()}
        elif isinstance(default, dict):
            if not isinstance(value, dict):
                raise ParamsError(f"{origin}: setting {name!r} must be a mapping")
            out[key] = _overlay(default, value, f"{name}.", origin)
        elif default is not None and not _same_kind(default, value):
            raise ParamsError(
                f"{origin}: setting {name!r} must be {type(default).__name__}, got {_shown(value)}"
            )
        else:
            out[key] = value
    return out


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def _check_numbers(params: dict, origin: Path | str, where: str = "") -> None:
    """Every number finite and inside its range (RANGES)."""
    for key, value in params.items():
        name = f"{where}{key}"
        if isinstance(value, dict):
            _check_numbers(value, origin, f"{name}.")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            raise ParamsError(f"{origin}: setting {name!r} must be a finite number, got {_shown(value)}")
        if name in RANGES:
            low, high, whole = RANGES[name]
            if whole and value != int(value):
                raise ParamsError(f"{origin}: setting {name!r} must be a whole number, got {_shown(value)}")
            if not low <= value <= high:
                raise ParamsError(f"{origin}: setting {name!r} must be from {low:g} to {high:g}, "
                                  f"got {_shown(value)}")


def _check_lists(params: dict, origin: Path | str) -> None:
    """List settings hold what they say: account codes or patterns as text."""
    codes = params.get("alerts", {}).get("exclude_accounts")
    if codes is not None and (not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes)):
        raise ParamsError(f"{origin}: setting 'alerts.exclude_accounts' must be a list of account codes or "
                          f"patterns as text (quote codes that look like numbers), got {_shown(codes)}")


def load(path: str | Path | None = None) -> dict[str, Any]:
    """The defaults, with the file at `path` (if any) laid over them."""
    params = _read(DEFAULT_PARAMS)
    if path:
        params = _overlay(params, _read(Path(path)), "", Path(path))
    _check_numbers(params, path or DEFAULT_PARAMS)
    _check_lists(params, path or DEFAULT_PARAMS)
    return params
