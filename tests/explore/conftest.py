import pytest

from aftersales.explore import widgets
from aftersales.run import context as report


@pytest.fixture
def explorer(source, tmp_path, request):
    """Make a report's explorer on the test module's `source` as of its AS_OF (the period `mtd` unless
    given), as the Lab's kernel does; the contexts' sources are closed after the test."""
    made = []

    def _make(name: str, period: str = "mtd"):
        ctx = report.start(name, source=str(source), period=period, as_of=request.module.AS_OF, interactive=True)
        made.append(ctx)
        return widgets.explore(ctx, export_root=tmp_path / "explore")

    yield _make
    for ctx in made:
        ctx.source.close()
