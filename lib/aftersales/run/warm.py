"""Imported by a run's process server before it forks the report processes: every report
then starts with its modules imported and its first chart's fonts loaded (see kernel.py)."""

from aftersales.present.export import warm as _warm_export
from aftersales.run.kernel import warm as _warm_kernel

_warm_kernel()
_warm_export()
