"""Run settings: `params/default.yaml` with a user's YAML file laid over it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from aftersales.config import DEFAULT_PARAMS


class ParamsError(ValueError):
    """A settings file that cannot be used: unknown key, wrong type, bad YAML."""


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParamsError(f"params file {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise ParamsError(f"params file {path} is not valid YAML: {exc}") from None
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
            raise ParamsError(f"{origin}: unknown setting {name!r} (known here: {known})")
        default = base[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ParamsError(f"{origin}: setting {name!r} must be a mapping")
            out[key] = _overlay(default, value, f"{name}.", origin)
        elif default is not None and not _same_kind(default, value):
            raise ParamsError(
                f"{origin}: setting {name!r} must be {type(default).__name__}, got {value!r}"
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


def load(path: str | Path | None = None) -> dict[str, Any]:
    """The defaults, with the file at `path` (if any) laid over them."""
    params = _read(DEFAULT_PARAMS)
    if path:
        params = _overlay(params, _read(Path(path)), "", Path(path))
    return params
