"""The explorer's pickers: lists of hundreds of accounts or documents that an analyst searches by
typing, never scrolls through, and chooses from without Ctrl-click.

- `Picker`, a filter's choices: a search box (a `Combobox` of the labels, "A1 · Alpha Garage",
  that suggests as one types) adds a choice; the chosen show beside it as tags, each removed by
  its ×. No choice keeps every row.
- `Choice`, one value (a drill-down's day, account, document): the same search box, and while
  the values are few (`BUTTONS`) a button each, one click choosing it.

Both hold (label, value) `options` and a `value` (a tuple of values, or one value or None), which
tests set as they would a Dropdown's; observers of `value` see each change once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import traitlets

#: A `Choice` of at most this many values shows a button per value beside its search box.
BUTTONS = 12


def _labelled(options: Sequence) -> tuple[tuple[str, Any], ...]:
    """(label, value) pairs with distinct labels (a repeated label gets " (2)", " (3)" …)."""
    out, seen = [], {}
    for option in options:
        text, value = option if isinstance(option, tuple) else (str(option), option)
        n = seen[text] = seen.get(text, 0) + 1
        out.append((text if n == 1 else f"{text} ({n})", value))
    return tuple(out)


def _search(description: str, width: str) -> w.Combobox:
    return w.Combobox(description=description, ensure_option=True, layout=w.Layout(width=width),
                      style={"description_width": "80px"})


class _Searching:
    """The search box's behaviour shared by the pickers: a label typed or chosen whole is taken at
    once, unless it is also the start of another label ("D1" of "D10"), which waits for Enter."""

    search: w.Combobox
    _labels: dict

    def _wire(self) -> None:
        self._hold = False
        self.search.observe(self._typed, names="value")
        self.search.on_msg(self._submitted)

    def _typed(self, change) -> None:
        text = change["new"]
        if self._hold or text not in self._labels:
            return
        if any(other != text and other.startswith(text) for other in self._labels):
            return  # "D1" of "D1", "D10": Enter takes it
        self._take(text)

    def _submitted(self, _widget, content, _buffers) -> None:
        if content.get("event") == "submit" and self.search.value in self._labels:
            self._take(self.search.value)

    def _take(self, text: str) -> None:
        raise NotImplementedError


class Picker(w.VBox, _Searching):
    """A filter's choices: search to add one, click a tag's × to remove it (`value`: the values)."""

    value = traitlets.Tuple()
    options = traitlets.Tuple()

    def __init__(self, options: Sequence, description: str, noun: str = "values", width: str = "300px"):
        self.description = description
        self.noun = noun
        self.search = _search(description, width)
        self.tags = w.TagsInput(value=[], allowed_tags=[], allow_duplicates=False, placeholder="all: none chosen",
                                layout=w.Layout(width=width))
        super().__init__([self.search, self.tags], layout=w.Layout(margin="0 12px 4px 0"))
        self._wire()
        self.options = _labelled(options)
        self.tags.observe(self._tagged, names="value")

    @traitlets.observe("options")
    def _options_changed(self, change) -> None:
        self._labels = dict(change["new"])
        labels = list(self._labels)
        self._hold = True
        try:
            self.search.options = labels
            self.search.placeholder = f"Type to search {len(labels):,} {self.noun}…"
            self.tags.allowed_tags = labels
        finally:
            self._hold = False
        self.value = tuple(v for v in self.value if any(v == o for o in self._labels.values()))

    @traitlets.observe("value")
    def _value_changed(self, change) -> None:
        shown = [text for v in change["new"] for text, o in self._labels.items() if o == v]
        if list(self.tags.value) != shown:
            self._hold = True
            try:
                self.tags.value = shown
            finally:
                self._hold = False

    def _tagged(self, change) -> None:
        if not self._hold:
            self.value = tuple(self._labels[t] for t in change["new"] if t in self._labels)

    def _take(self, text: str) -> None:
        value = self._labels[text]
        self._hold = True
        try:
            self.search.value = ""
        finally:
            self._hold = False
        if not any(v == value for v in self.value):
            self.value = (*self.value, value)

    def labels(self) -> list[str]:
        """The chosen values' labels, in the order chosen."""
        return list(self.tags.value)


class Choice(w.VBox, _Searching):
    """One value: a search box, and a button per value while they are few (`value`: one value or None)."""

    value = traitlets.Any(None, allow_none=True)
    options = traitlets.Tuple()

    def __init__(self, description: str, noun: str = "values", width: str = "360px", buttons: int = BUTTONS,
                 hint: str = ""):
        self.description = description
        self.noun = noun
        self.hint = hint  # said after the count in the search box ("… to drill into")
        self.most = buttons
        self.search = _search(description, width)
        self.buttons = w.ToggleButtons(options=[], value=None, style={"button_width": "auto"},
                                       layout=w.Layout(display="none", margin="0 0 0 84px"))
        super().__init__([self.search, self.buttons])
        self._labels: dict = {}
        self._wire()
        self.buttons.observe(self._clicked, names="value")

    @property
    def label(self) -> str:
        """The chosen value's label ("" when none)."""
        return next((text for text, v in self._labels.items() if self.value is not None and v == self.value), "")

    @traitlets.observe("options")
    def _options_changed(self, change) -> None:
        self._labels = dict(change["new"])
        labels = list(self._labels)
        few = 0 < len(labels) <= self.most
        self._hold = True
        try:
            self.search.options = labels
            self.search.placeholder = (f"Type to search {len(labels):,} {self.noun}{self.hint}…" if labels
                                       else "nothing to choose")
            self.buttons.options = [(_short(t), i) for i, t in enumerate(labels)] if few else []
            self.buttons.tooltips = labels if few else []
            self.buttons.value = None
            self.buttons.layout.display = None if few else "none"
        finally:
            self._hold = False
        if self.value is not None and not any(v == self.value for v in self._labels.values()):
            self.value = None
        else:
            self._show(self.value)

    @traitlets.validate("value")
    def _valid(self, proposal):
        value = proposal["value"]
        if value is not None and not any(v == value for v in self._labels.values()):
            raise traitlets.TraitError(f"{value!r} is not among the {self.noun}")
        return value

    @traitlets.observe("value")
    def _value_changed(self, change) -> None:
        self._show(change["new"])

    def _show(self, value) -> None:
        labels = list(self._labels)
        text = self.label if value is not None else ""
        index = labels.index(text) if text and self.buttons.options else None
        self._hold = True
        try:
            if self.search.value != text:
                self.search.value = text
            if self.buttons.value != index:
                self.buttons.value = index
        finally:
            self._hold = False

    def _clicked(self, change) -> None:
        if not self._hold and change["new"] is not None:
            self._take(list(self._labels)[change["new"]])

    def _take(self, text: str) -> None:
        value = self._labels[text]
        if self.value is not None and self.value == value:
            self._show(value)
        else:
            self.value = value

    def choose(self, value) -> None:
        """Choose `value` (or its label), as a click on its button would."""
        found = next((v for text, v in self._labels.items() if v == value or text == value), None)
        if found is None:
            raise ValueError(f"{value!r} is not among the {self.noun}")
        self.value = found


def _short(text: str) -> str:
    """A button's text: a label's code (its name is in the tooltip)."""
    return text.split(" · ")[0]
