"""Settings: the defaults, a file laid over them, and unknown keys refused."""

import pytest

from aftersales.params import ParamsError, load


def test_defaults_hold_the_spec_thresholds():
    """Without a file the alert thresholds are the SPEC's defaults."""
    assert load()["alerts"]["gp_drop"] == 5
    assert load()["alerts"]["sales_decline"] == 20
    assert load()["alerts"]["large_document"] == 5000


def test_file_overlays_defaults(tmp_path):
    """A file changes only the settings it names."""
    path = tmp_path / "p.yaml"
    path.write_text("alerts:\n  gp_drop: 2.5\ndealer_name: North Motors\n", encoding="utf-8")
    params = load(path)
    assert params["alerts"]["gp_drop"] == 2.5
    assert params["alerts"]["sales_decline"] == 20
    assert params["dealer_name"] == "North Motors"


@pytest.mark.parametrize("text,needle", [
    ("alert:\n  gp_drop: 1\n", "alert"),
    ("alerts:\n  gp_dorp: 1\n", "alerts.gp_dorp"),
    ("alerts:\n  gp_drop: lots\n", "alerts.gp_drop"),
    ("alerts: [1, 2\n", "YAML"),
])
def test_bad_files_are_refused(tmp_path, text, needle):
    """Unknown keys, wrong types and broken YAML are errors that name the setting."""
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError, match=needle.replace(".", r"\.")):
        load(path)
