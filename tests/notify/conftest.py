import pytest

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


@pytest.fixture
def server():
    """Start real SMTP servers on loopback; yields a function (handler, **options) → 'host:port'."""
    from mailserver import free_port

    started = []

    def _start(handler, **options):
        port = free_port()
        ctl = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=port, **options)
        ctl.start()
        started.append(ctl)
        return f"127.0.0.1:{port}"

    yield _start
    for ctl in started:
        ctl.stop()
