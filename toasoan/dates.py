"""Dates in, dates out: parse what editors write, format what Vietnamese readers read; no I/O."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{1,2}(?::?\d{2})?)?$"
)
_DAY_FIRST = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$"
)


class DateError(ValueError):
    """A date an editor wrote that cannot be read, with a Vietnamese explanation."""


def _zone(text: str | None, tz: dt.tzinfo) -> dt.tzinfo:
    if text is None:
        return tz
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    hours, _, minutes = text[1:].partition(":")
    if not minutes and len(hours) > 2:
        hours, minutes = hours[:-2], hours[-2:]
    offset = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
    return dt.timezone(sign * offset)


def _build(parts: tuple[str | None, ...], zone: dt.tzinfo, raw: str) -> dt.datetime:
    year, month, day, hour, minute, second = (int(p) if p else 0 for p in parts)
    try:
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        raise DateError(f"ngày giờ không tồn tại: `{raw}`") from None


def parse_datetime(value: object, tz: dt.tzinfo) -> dt.datetime:
    """Read a front-matter date: ISO 8601 (zone optional), `07/06/2023 15:30`, or YAML's own
    date/datetime objects. A value without a zone is in the site's zone `tz`; the result is
    always in `tz` (a UTC time is shown, and filed, as the local time it was)."""
    try:
        return _parse(value, tz).astimezone(tz)
    except (OverflowError, ValueError) as exc:
        if isinstance(exc, DateError):
            raise
        raise DateError(f"ngày giờ nằm ngoài khoảng dùng được: `{value}`") from None


def _parse(value: object, tz: dt.tzinfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=tz)
    if not isinstance(value, str):
        raise DateError(f"cần một ngày giờ, ví dụ `2023-06-07 15:30` hoặc `07/06/2023 15:30`, không phải `{value}`")
    raw = value.strip()
    iso = _ISO.match(raw)
    if iso:
        *parts, zone_text = iso.groups()
        return _build(tuple(parts), _zone(zone_text, tz), raw)
    day_first = _DAY_FIRST.match(raw)
    if day_first:
        day, month, year, hour, minute, second = day_first.groups()
        if int(month) > 12 and 1 <= int(day) <= 12 and int(month) <= 31:
            raise DateError(f"ngày viết theo thứ tự ngày/tháng/năm: `{raw}` có tháng {int(month)}; có phải `{int(month):02d}/{int(day):02d}/{year}`?")
        return _build((year, month, day, hour, minute, second), tz, raw)
    raise DateError(
        f"không đọc được ngày giờ `{raw}`: hãy viết `2023-06-07 15:30` hoặc `07/06/2023 15:30`"
    )


def parse_day(value: object) -> dt.date:
    """Read a calendar day (officials' `from`/`to`)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return _parse(value, dt.UTC).date()


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def vi_datetime(value: dt.datetime) -> str:
    """`Thứ Tư, 07/06/2023 15:30`."""
    if value.tzinfo is None or value.year < 1000:
        from babel.dates import format_datetime

        return format_datetime(value, "EEEE, dd/MM/yyyy HH:mm", tzinfo=value.tzinfo, locale="vi")
    # Babel's pattern costs ~0.1 ms a call (once on every article page); only the day's name
    # needs the locale, the digits are the value's own (in its own zone, as Babel's are here).
    return f"{_VI_WEEKDAYS[value.weekday()]}, {value.day:02d}/{value.month:02d}/{value.year} {value.hour:02d}:{value.minute:02d}"


# The Vietnamese names of the weekdays from Monday, as Babel's `EEEE` writes them
# (tests/unit/test_dates.py holds them to Babel's): written out, since loading Babel and its
# locale data for seven words cost every patch build ~15 ms.
_VI_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def vi_date(value: dt.date) -> str:
    """`Thứ Tư, 07/06/2023`."""
    from babel.dates import format_date, format_datetime

    if isinstance(value, dt.datetime):
        return format_datetime(value, "EEEE, dd/MM/yyyy", tzinfo=value.tzinfo, locale="vi")
    return format_date(value, "EEEE, dd/MM/yyyy", locale="vi")


def short_date(value: dt.date) -> str:
    """`07/06/2023`."""
    # As strftime("%d/%m/%Y") writes it (the year unpadded, as glibc's %Y), without strftime's
    # cost on an aware datetime (~40 µs: it asks the zone for the offset and DST).
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def month_label(value: dt.date) -> str:
    """`Tháng 6/2023`."""
    return f"Tháng {value.month}/{value.year}"


def iso(value: dt.date) -> str:
    """ISO 8601, with the offset for datetimes (`2023-06-07T15:30:00+07:00`)."""
    return value.isoformat()


def rfc822(value: dt.datetime) -> str:
    """RFC 822 date for RSS (`Wed, 07 Jun 2023 15:30:00 +0700`)."""
    from email.utils import format_datetime  # for feeds only (with `socket`, ~5 ms to import)

    return format_datetime(value)


def now_from_env(environ: dict[str, str] | None, tz: dt.tzinfo) -> dt.datetime:
    """The build's "now": SOURCE_DATE_EPOCH when set (reproducible rebuilds), else the clock."""
    epoch = (environ or {}).get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit() and len(epoch) <= 11:
        return dt.datetime.fromtimestamp(int(epoch), tz=tz)
    return dt.datetime.now(tz=tz)
