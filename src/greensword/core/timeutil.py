"""Asia/Shanghai wall-clock time, as the protocol and the law use it."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(TZ)


def today() -> date:
    return now().date()


def aware(dt: datetime) -> datetime:
    """Naive datetimes are taken as Asia/Shanghai wall-clock; aware ones are converted."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=TZ)
    return dt.astimezone(TZ)
