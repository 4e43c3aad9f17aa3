"""Report kernels start warm: forked from the report process, with the report modules
already imported, and they stop with it. Outside a run the kernel starts as usual."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import json, os, sys
    from jupyter_client.manager import KernelManager
    from aftersales.run import kernel
    from aftersales.run import runner as run

    os.environ["JUPYTER_PATH"] = run._kernel_home()
    if sys.argv[1] == "warm":
        kernel.warm()
        kernel.prepare()
    km = KernelManager(kernel_name="aftersales")
    km.start_kernel(cwd=os.getcwd())
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    seen = []
    kc.execute_interactive(
        "import os, sys; print(os.getppid(), os.getpid(), 'pandas' in sys.modules, 'aftersales.reports.parts' in sys.modules)",
        output_hook=lambda m: seen.append(m["content"]["text"]) if m["msg_type"] == "stream" else None, timeout=60)
    ppid, pid, pandas, parts = seen[0].split()
    km.shutdown_kernel(now=False)
    try:
        os.kill(int(pid), 0)
        alive = True
    except ProcessLookupError:
        alive = False
    print(json.dumps({"me": os.getpid(), "ppid": int(ppid), "pandas": pandas == "True",
                      "parts": parts == "True", "alive_after_shutdown": alive,
                      "provisioner": type(km.provisioner).__name__ if km.provisioner else None}))
""")


def probe(mode: str, tmp_path) -> dict:
    temp = tmp_path / "temp"  # the process's temporary folder: its private kernel spec goes there
    temp.mkdir()
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "TMPDIR": str(temp)})
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    seen["left_behind"] = sorted(p.name for p in temp.iterdir())
    return seen


def test_a_run_kernel_is_forked_warm_and_stops_with_its_shutdown(tmp_path):
    seen = probe("warm", tmp_path)
    assert seen["ppid"] == seen["me"]  # forked by the report process itself
    assert seen["pandas"] and seen["parts"]  # the report modules were imported before the notebook ran
    assert not seen["alive_after_shutdown"]
    assert seen["left_behind"] == []  # the private kernel spec folder goes with the process


def test_without_a_spare_the_kernel_starts_the_ordinary_way(tmp_path):
    seen = probe("cold", tmp_path)
    assert seen["ppid"] == seen["me"]
    assert not seen["pandas"] and not seen["parts"]  # a fresh Python
    assert not seen["alive_after_shutdown"]


REPORT_PROBE = textwrap.dedent("""
    import asyncio, json, os, signal, sys
    from aftersales.run import kernel
    from aftersales.run import runner as run

    os.environ["JUPYTER_PATH"] = run._kernel_home()
    kernel.warm()

    async def main():
        km = kernel.ReportKernelManager(kernel_name="aftersales")
        await km.start_kernel(cwd=os.getcwd())
        kc = km.client()
        kc.start_channels()
        if sys.argv[1] == "killed":  # the kernel ends before it answers
            os.kill(km.provisioner.pid, signal.SIGKILL)
            try:
                await kc.wait_for_ready(timeout=60)
            except RuntimeError as exc:
                print(json.dumps({"error": str(exc), "never_started": kernel.NEVER_STARTED in str(exc)}))
            return
        await kc.wait_for_ready(timeout=60)
        msg_id = kc.execute("print(6 * 7)")
        seen = []
        while True:
            msg = await kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                seen.append(msg["content"]["text"].strip())
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        pid = km.provisioner.pid
        await km.shutdown_kernel(now=False)
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        print(json.dumps({"client": type(kc).__name__, "printed": seen, "alive_after_shutdown": alive}))

    kernel.prepare()  # the spare is forked before the event loop starts, as a report process does
    asyncio.run(main())
""")


def report_probe(mode: str, tmp_path) -> dict:
    done = subprocess.run([sys.executable, "-c", REPORT_PROBE, mode], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_report_kernel_answers_runs_a_cell_and_stops_with_its_shutdown(tmp_path):
    """The kernel manager papermill is given in a run (no 0.2 s wait at the start, its end seen at
    once): the kernel still answers, runs a cell with its output, and is gone after the shutdown."""
    seen = report_probe("ok", tmp_path)
    assert seen["client"] == "ReportKernelClient"
    assert seen["printed"] == ["42"]
    assert not seen["alive_after_shutdown"]


def test_a_report_kernel_that_ends_before_answering_says_so_in_the_words_the_run_retries_on(tmp_path):
    seen = report_probe("killed", tmp_path)
    assert seen["never_started"], seen["error"]
