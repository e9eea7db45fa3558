"""``greensword hj212 parse|import|simulate|device|status`` and ``greensword gateway``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .dump import split_lines

console = Console()
err = Console(stderr=True)
hj212_app = typer.Typer(help="HJ 212 数据传输：解析、导入、模拟设备、设备设置", no_args_is_help=True)
device_app = typer.Typer(help="设备（MN）协议设置：宽容模式、SM4 密钥、访问密码", no_args_is_help=True)
hj212_app.add_typer(device_app, name="device")


def _read(file: str) -> bytes:
    if file == "-":
        return sys.stdin.buffer.read()
    path = Path(file)
    if not path.exists():
        raise typer.BadParameter(f"文件“{file}”不存在")
    return path.read_bytes()


@hj212_app.command("parse")
def parse_cmd(
    file: Annotated[str, typer.Argument(help="报文文件，每行一包；- 为标准输入")] = "-",
    tolerant: Annotated[bool, typer.Option(help="宽容模式：接受已知设备偏差并列出 quirks")] = False,
    crlf: Annotated[str, typer.Option(help="auto | keep | add：行尾 CRLF 的处理")] = "auto",
) -> None:
    """Print one JSON object per input line: the decoded packet or the error. With --tolerant,
    each packet lists its quirks and a summary of them (zh-CN) goes to stderr.
    (``greensword hj212 parse`` normally runs through the light start-up path in launch.py.)"""
    from .parsefile import parse_dump, quirk_summary

    seen = parse_dump(_read(file), sys.stdout.buffer, tolerant=tolerant, crlf=crlf)
    for line in quirk_summary(seen) if tolerant else ():
        err.print(line, markup=False)


@hj212_app.command("import")
def import_cmd(
    file: Annotated[str, typer.Argument(help="报文文件，每行一包；- 为标准输入")],
    tolerant: Annotated[bool, typer.Option(help="对所有设备启用宽容模式（导入其他平台导出的报文）")] = False,
    crlf: str = "auto",
) -> None:
    """Packets into the lake through the gateway's own checks (registry MN + PW, duplicates)."""
    from .importer import import_frames

    result = import_frames(split_lines(_read(file), crlf), tolerant_all=tolerant)
    table = Table(title="HJ 212 报文导入结果")
    table.add_column("结果")
    table.add_column("数量", justify="right")
    table.add_row("接收入库", str(result.accepted))
    table.add_row("重复（已存储，未重复入库）", str(result.duplicates))
    for code, n in sorted(result.rejected.items()):
        table.add_row(f"拒收：{code}", str(n))
    table.add_row("写入数据湖行数", str(result.rows))
    console.print(table)
    for line, code, message in result.errors[:20]:
        console.print(f"第 {line} 行 [{code}] {message}", markup=False)
    console.print(f"合计：接收 {result.accepted}，重复 {result.duplicates}，拒收 {sum(result.rejected.values())}")


@hj212_app.command("simulate")
def simulate_cmd(
    devices: Annotated[int, typer.Option(help="模拟设备数（取自监测点名录）")] = 10,
    seconds: Annotated[float, typer.Option(help="持续时间（秒）")] = 10.0,
    host: str = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="网关端口，默认取配置")] = None,
    window: Annotated[int, typer.Option(help="每个连接未应答报文上限")] = 8,
    realtime: Annotated[bool, typer.Option(help="按真实节奏发送（实时 30 秒、分钟、小时、日）而非压测")] = False,
    replay: Annotated[Path | None, typer.Option(help="重放报文文件（每行一包）")] = None,
) -> None:
    """Emulate devices from the registry against a running gateway; report throughput and
    ack-latency percentiles."""
    from ..settings import get_settings
    from .simulate import SimConfig, devices_from_registry, run_simulation

    s = get_settings()
    cfg = SimConfig(host=host, port=port or s.gateway_port, seconds=seconds, window=window, realtime=realtime)
    frames = split_lines(replay.read_bytes()) if replay else None
    report = run_simulation(cfg, devices_from_registry(devices), replay=frames)
    console.print(report.summary())


@hj212_app.command("status")
def status_cmd() -> None:
    """Gateway counters (from its status file)."""
    from ..settings import get_settings
    from .console import gateway_status

    st = gateway_status(get_settings())
    if st is None:
        raise typer.BadParameter("网关尚未运行过（没有 status.json）")
    console.print_json(data=st)


@device_app.command("tolerant")
def device_tolerant(mn: str, on: Annotated[bool, typer.Option("--on/--off")] = True) -> None:
    """Switch tolerant mode for one MN (takes effect when the gateway reloads its directory)."""
    from .service import set_device

    set_device(mn, tolerant=on)
    console.print(f"设备 {mn} 宽容模式：{'开启' if on else '关闭'}")


@device_app.command("key")
def device_key(mn: str, key_hex: Annotated[str, typer.Argument(help="32 位十六进制 SM4 密钥；空串清除")]) -> None:
    """Set the HJ 212-2025 SM4 key of one MN."""
    from .service import set_device

    set_device(mn, sm4_key=key_hex)
    console.print(f"设备 {mn} 的 SM4 密钥已{'设置' if key_hex else '清除'}")


@device_app.command("rotate-pw")
def device_rotate_pw(
    mn: str,
    pw: Annotated[str | None, typer.Option(help="指定新密码；默认随机生成")] = None,
) -> None:
    """Give one MN a new HJ 212 access password (printed once; set it on the data logger)."""
    from .service import rotate_password

    new = rotate_password(mn, pw=pw)
    console.print(f"设备 {mn} 的新访问密码：{new}", markup=False)
    console.print("请在数采仪上设置该密码；网关在 30 秒内启用新密码，旧密码随即失效。")


def gateway_cmd(
    host: str | None = None,
    port: int | None = None,
    compact_interval: Annotated[float, typer.Option(help="日志段封存并写入数据湖的间隔（秒）")] = 10.0,
    no_fsync: Annotated[bool, typer.Option(help="不落盘同步（仅用于测试，会丢失已应答数据）")] = False,
    devices: Annotated[Path | None, typer.Option(help="设备清单 CSV（mn,pw[,tolerant][,sm4_key]），不读数据库")] = None,
    workers: Annotated[int, typer.Option(help="网关工作进程数（共用一个端口，各自落盘日志，另有一个入湖进程）")] = 1,
    trusted_proxy: Annotated[list[str] | None, typer.Option(
        help="可信负载均衡器地址或网段（可多次指定）：来自它的连接须先发 PROXY 协议头（v1/v2），"
             "封禁与每地址连接上限按其中的设备真实地址计算")] = None,
) -> None:
    """Run the HJ 212 TCP gateway (devices from the registry)."""
    import logging

    from .gateway import build_gateway, run

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    from .intake import Directory
    from .proxyproto import Trusted

    for entry in trusted_proxy or ():
        try:
            Trusted([entry])
        except ValueError as exc:
            raise typer.BadParameter(f"可信负载均衡器地址“{entry}”不是 IP 地址或网段") from exc
    directory = Directory.from_csv(devices) if devices else None
    gw = build_gateway(host=host, port=port, directory=directory, compact_interval_s=compact_interval,
                       fsync=not no_fsync, trusted_proxies=tuple(trusted_proxy or ()))
    console.print(f"HJ 212 数据网关监听 tcp://{gw.cfg.host}:{gw.cfg.port}，设备 {len(gw.directory.devices)} 台"
                  + (f"，{workers} 个工作进程" if workers > 1 else ""))
    if workers > 1:
        from .multi import Supervisor

        if gw.engine is not None:
            gw.engine.dispose()
        Supervisor(gw.cfg, gw.directory, workers, use_db=gw.engine is not None).run()
        return
    run(gw)


def register(app: typer.Typer) -> None:
    app.add_typer(hj212_app, name="hj212")
    app.command("gateway")(gateway_cmd)

