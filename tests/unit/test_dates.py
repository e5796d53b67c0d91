"""Reading editors' dates and writing them for Vietnamese readers."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from sitekit import REPO

from toasoan.dates import DateError, now_from_env, parse_datetime, parse_day, rfc822, short_date, vi_date, vi_datetime

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WANT = dt.datetime(2023, 6, 7, 15, 30, tzinfo=TZ)


@pytest.mark.parametrize(
    "value",
    ["2023-06-07 15:30", "07/06/2023 15:30", "7/6/2023 15:30", "2023-06-07T15:30:00+07:00", "2023-06-07T08:30:00Z",
     "2023-06-07T15:30", dt.datetime(2023, 6, 7, 15, 30), dt.datetime(2023, 6, 7, 8, 30, tzinfo=dt.UTC)],
)
def test_every_form_reads_as_the_same_instant(value: object) -> None:
    assert parse_datetime(value, TZ) == WANT


def test_date_only_is_midnight_in_the_site_zone() -> None:
    assert parse_datetime(dt.date(2023, 6, 7), TZ) == dt.datetime(2023, 6, 7, tzinfo=TZ)
    assert parse_datetime("07/06/2023", TZ) == dt.datetime(2023, 6, 7, tzinfo=TZ)


@pytest.mark.parametrize(
    "value",
    ["2023-02-30 10:00", "31/04/2023", "2023-06-07 25:00", "hôm qua", "", 20230607, None, "0001-01-01T00:00+08:00", "9999-12-31T23:59Z"],
)
def test_bad_dates_are_errors(value: object) -> None:
    with pytest.raises(DateError):
        parse_datetime(value, TZ)


def test_day_first_is_day_first() -> None:
    assert parse_datetime("03/04/2023 08:00", TZ).month == 4


def test_vietnamese_formats() -> None:
    assert vi_datetime(WANT) == "Thứ Tư, 07/06/2023 15:30"
    assert vi_date(WANT) == "Thứ Tư, 07/06/2023"
    assert vi_date(dt.date(2023, 6, 11)) == "Chủ Nhật, 11/06/2023"
    assert short_date(WANT) == "07/06/2023"
    assert rfc822(WANT) == "Wed, 07 Jun 2023 15:30:00 +0700"


def test_parse_day() -> None:
    assert parse_day(dt.date(2020, 1, 2)) == dt.date(2020, 1, 2)
    assert parse_day("2020-01-02") == dt.date(2020, 1, 2)


def test_now_comes_from_source_date_epoch() -> None:
    assert now_from_env({"SOURCE_DATE_EPOCH": "1686126600"}, TZ) == WANT


@pytest.mark.parametrize("tz", [TZ, dt.UTC, ZoneInfo("America/New_York"), dt.timezone(dt.timedelta(hours=-11))])
def test_vi_datetime_writes_what_babel_writes(tz: dt.tzinfo) -> None:
    """`vi_datetime` takes only the day's name from Babel: every weekday, hour and minute, in any
    zone (the value's own, DST included), still reads exactly as Babel's full pattern."""
    from babel.dates import format_datetime

    value = dt.datetime(1999, 12, 25, 23, 59, tzinfo=tz)
    for _ in range(800):
        value += dt.timedelta(hours=37, minutes=13)
        assert vi_datetime(value) == format_datetime(value, "EEEE, dd/MM/yyyy HH:mm", tzinfo=value.tzinfo, locale="vi")
    early = dt.datetime(999, 3, 4, 5, 6, tzinfo=tz)  # a year under 1000: Babel's four digits
    assert vi_datetime(early) == format_datetime(early, "EEEE, dd/MM/yyyy HH:mm", tzinfo=tz, locale="vi")


@pytest.mark.parametrize("year", [1, 99, 999, 1000, 2023, 9999])
def test_short_date_writes_what_strftime_writes(year: int) -> None:
    """`short_date` formats the digits itself: the same text as strftime("%d/%m/%Y"), years under
    1000 unpadded included, for dates, naive and aware datetimes."""
    for value in (dt.date(year, 1, 2), dt.datetime(year, 3, 4, 5, 6), dt.datetime(year, 12, 31, 23, 0, tzinfo=TZ)):
        assert short_date(value) == value.strftime("%d/%m/%Y")


def test_the_dates_module_loads_no_email_or_babel_machinery() -> None:
    """Babel (~15 ms with its locale data) and `email.utils` (~5 ms, with `socket`) are imported
    by the functions that need them (`vi_date`, `rfc822`), not by every build that reads a date."""
    program = "import sys, toasoan.dates; print(sorted(m for m in sys.modules if m.split('.')[0] in ('babel', 'email', 'socket')))"
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=REPO, check=True)
    assert run.stdout.strip() == "[]"
