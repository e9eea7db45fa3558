import asyncio
import threading

import pytest

from greensword.hj212.gateway import Gateway, GatewayConfig
from greensword.hj212.intake import Directory


class Running:
    """A gateway on its own event loop in a thread, on a free port."""

    def __init__(self, gw: Gateway):
        self.gw = gw
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def target():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(gw.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()
        assert ready.wait(20)

    @property
    def port(self) -> int:
        return self.gw.port

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.gw.stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def gateway(world, db, engine, tmp_path):
    directory = Directory.from_db(db)
    cfg = GatewayConfig(port=0, root=tmp_path / "gw", lake=tmp_path / "lake", compact_interval_s=3600,
                        idle_timeout_s=30)
    running = Running(Gateway(cfg, directory, engine=engine))
    yield running
    if running.thread.is_alive():
        running.stop()
