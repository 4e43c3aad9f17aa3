"""Report kernels that start warm: forked from a process that has already imported what
every report uses, instead of a new Python that imports it all again.

A fresh kernel costs about 1.5 s before the first cell runs (Python, IPython, pandas,
DuckDB, matplotlib and the workbook imported, the first chart's fonts loaded), which is
most of a small report. In a run, each report process is forked from a server that
imported and warmed those once (`warm`); before the notebook starts, the report process
forks a spare (`Spare.fork`): a copy of itself that waits. When papermill asks for the
kernel, `PreloadedProvisioner` (named in the run's private kernel spec) hands the
connection file to the spare, which becomes the kernel at once. Outside a run, or if
there is no spare, the provisioner starts a kernel the ordinary way.

papermill drives the kernel through `ReportKernelManager`, which leaves out jupyter_client's
fixed waits: 0.2 s after the kernel first answers and up to 0.1 s after it ends, in every
report. A --by-branch run of 31 packs with notebooks that compute nothing took 33–38 s with
them and 20–21 s without; a small dealer's pack 5.2 s and 4.8 s (medians of 4).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

#: What a report kernel uses; imported once per run by the server reports are forked from. The
#: second line is what a kernel imports as it starts (its debugger's support above all: 0.16 s of
#: the 0.35 s a kernel took to start, in every report of a run).
MODULES = (
    "ipykernel.kernelapp", "IPython.display", "pandas", "numpy", "duckdb",
    "ipykernel.ipkernel", "ipykernel.debugger", "IPython.core.completerlib", "IPython.core.debugger",
    "IPython.core.logger", "IPython.core.oinspect", "IPython.extensions.storemagic", "IPython.utils.wildcard",
    "tornado.locks", "tornado.queues", "tornado.platform.asyncio", "psutil", "sqlite3",
    "matplotlib.figure", "matplotlib.backends.backend_agg",
    "aftersales.run.context", "aftersales.present.tables", "aftersales.reports.parts", "aftersales.reports.labour",
    "aftersales.reports.workshop", "aftersales.reports.accounts", "aftersales.reports.alerts",
    "aftersales.reports.sales", "aftersales.reports.operations_report",
)

def die_with_parent() -> None:
    """Die when the process that started this one dies (Linux; elsewhere a no-op)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


_spare: Spare | None = None


def warm() -> None:
    """Import the report modules and draw one chart (fonts, renderer) so forks start warm.

    Opens no database connection and starts no thread: the process is forked afterwards."""
    from importlib import import_module

    # the debugger's support checks its source files as it is imported, and says so on the run's
    # terminal; no report kernel is debugged
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name in MODULES:
        import_module(name)
    from aftersales import present

    fig, ax = present.figure(2, 1)
    ax.plot([0, 1], [0, 1], label="warm")
    ax.set_title("warm")
    present.image(fig, "warm")


class _Forked:
    """The few `subprocess.Popen` methods a provisioner uses, for a forked child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self._reap(os.WNOHANG)

    def wait(self, timeout: float | None = None) -> int | None:
        return self._reap(0)

    def _reap(self, flags: int) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Spare:
    """A forked copy of this process, waiting to become a kernel."""

    def __init__(self, pid: int, pipe: int):
        self.pid, self.pipe = pid, pipe

    @classmethod
    def fork(cls) -> Spare:
        """Fork a spare; call it from a single-threaded process with no event loop running."""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(write)
            _become_kernel(read)  # never returns
        os.close(read)
        return cls(pid, write)

    def launch(self, connection_file: str, cwd: str, env: dict[str, str]) -> _Forked:
        """Start the kernel in the spare; returns its process handle."""
        os.write(self.pipe, json.dumps({"connection_file": connection_file, "cwd": cwd, "env": env}).encode())
        os.close(self.pipe)
        return _Forked(self.pid)

    def discard(self) -> None:
        """A spare that is not needed exits when its pipe closes."""
        try:
            os.close(self.pipe)
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _become_kernel(pipe: int) -> None:
    """In the spare: wait for the connection file, then run the kernel in this process."""
    code = 1
    try:
        os.setsid()  # its own process group, as a launched kernel has: signals reach it alone
        die_with_parent()
        chunks = []
        while chunk := os.read(pipe, 65536):
            chunks.append(chunk)
        os.close(pipe)
        if not chunks:
            os._exit(0)
        order = json.loads(b"".join(chunks))
        os.environ.clear()
        os.environ.update(order["env"])
        os.chdir(order["cwd"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sys.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", order["connection_file"]]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=sys.argv[3:])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def prepare() -> None:
    """Fork this process's spare kernel (in a run's report process, before the notebook)."""
    global _spare
    _spare = Spare.fork()


def release() -> None:
    """Let an unused spare go (the notebook never asked for a kernel)."""
    global _spare
    if _spare is not None:
        _spare.discard()
        _spare = None


def _take() -> Spare | None:
    global _spare
    spare, _spare = _spare, None
    return spare


class PreloadedProvisioner(LocalProvisioner):
    """Starts the kernel in this process's spare when there is one; otherwise as usual."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> dict:
        spare = _take()
        if spare is None:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        env = {k: str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        self.process = spare.launch(self.parent.connection_file, cwd, env)
        self.pid = self.pgid = self.process.pid
        self.cwd = cwd
        return self.connection_info


#: What a kernel that ended before it answered its first request says (jupyter_client's words): no cell
#: has run, and the worker executes the notebook once more in a new kernel.
NEVER_STARTED = "Kernel died before replying to kernel_info"


class ReportKernelClient(AsyncKernelClient):
    """A report's kernel client that is ready as soon as its kernel answers.

    jupyter_client's `wait_for_ready` ends by waiting 0.2 s for IOPub messages that do not come (its
    flush), in every report of a run (a group's 156, each 0.2 s). Nothing needs that flush: papermill
    reads only the IOPub messages answering each cell's own request. The rest is the same: ask for the
    kernel's info until it replies and its IOPub channel is seen connected (a message on it: the
    reply's own busy status), or it dies, or `timeout` passes."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:  # IOPub not connected yet: ask again
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
            if not await self._async_is_alive():
                raise RuntimeError(NEVER_STARTED)
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class ReportKernelManager(AsyncKernelManager):
    """The kernel manager of a report's notebook (papermill's `kernel_manager_class`): its client is
    `ReportKernelClient`, and once asked to shut down it looks for the kernel's end every 5 ms rather
    than every 100 ms (jupyter_client's interval), so that a report ends when its kernel does."""

    client_class = DottedObjectName("aftersales.run.kernel.ReportKernelClient")
    client_factory = Type(default_value=ReportKernelClient, klass=AsyncKernelClient)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, 0.005))
