"""The local executor's progress lines: what ended, and, in a long run, the time left."""

from aftersales.run.local import said, time_left

OK = {"report": "parts", "status": "ok", "error": None, "seconds": 3.24}


def test_the_time_left_is_the_reports_to_come_at_the_pace_of_the_last_few():
    """Two processes: the pace is that of the last 8 reports. A group's 6 reports ended 10 s apart, then its
    branches' every 3 s: at the 20th of 100 the last 8 took 24 s, 3 s each, so 80 more take 240 s."""
    ended = [10.0 * i for i in range(1, 7)] + [60.0 + 3 * i for i in range(1, 15)]
    assert len(ended) == 20
    assert time_left(ended, 100, jobs=2) == "about 4 min left"
    # at the 10th, the last 8 include 4 of the group's: (72 - 20) / 8 = 6.5 s, × 90 = 585 s
    assert time_left(ended[:10], 100, jobs=2) == "about 10 min left"
    # one process: the last 4 reports
    assert time_left([5.0, 10, 15, 20, 25], 30, jobs=1) == "about 2 min left"  # 5 s × 25 = 125 s


def test_nothing_is_said_before_the_pace_is_known_under_a_minute_or_at_the_end():
    every_3s = [3.0 * i for i in range(1, 41)]
    assert time_left(every_3s[:8], 100, jobs=2) == ""  # 8 ended: the pace of 8 needs a 9th
    assert time_left(every_3s[:9], 100, jobs=2) == "about 5 min left"  # 3 s × 91 = 273 s
    assert time_left(every_3s[:30], 49, jobs=2) == ""  # 3 s × 19 = 57 s
    assert time_left(every_3s[:30], 50, jobs=2) == "about 1 min left"  # 60 s
    assert time_left(every_3s, 40, jobs=2) == ""  # the last one ended


def test_the_progress_line_names_the_scope_and_adds_the_time_left():
    assert said(OK, 10, 100, "branch 03", "about 9 min left") == "[10/100] branch 03: parts done (3.2 s) · about 9 min left"
    assert said(OK, 2, 6) == "[2/6] parts done (3.2 s)"
    failed = {**OK, "status": "failed", "error": "the report's kernel died"}
    assert said(failed, 1, 62, "branch 1") == "[1/62] branch 1: parts FAILED: the report's kernel died (3.2 s)"
