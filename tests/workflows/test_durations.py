"""ISO 8601 durations, dates, cycles and timer definitions."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.durations import (
    Duration,
    DurationError,
    RepeatingInterval,
    TimerDefinition,
    parse_datetime,
    parse_duration,
    parse_repeating,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1D", Duration(days=1)),
        ("PT2H", Duration(hours=2)),
        ("P1Y2M3DT4H5M6S", Duration(years=1, months=2, days=3, hours=4, minutes=5, seconds=6)),
        ("P2W", Duration(weeks=2)),
        ("P1W2D", Duration(weeks=1, days=2)),
        ("PT0.5S", Duration(seconds=Decimal("0.5"))),
        ("PT1,25S", Duration(seconds=Decimal("1.25"))),
        ("p3d", Duration(days=3)),
        (" PT10M ", Duration(minutes=10)),
        ("P0D", Duration()),
    ],
)
def test_parse_duration(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "1D", "P1DT", "P-1D", "P1.5D", "PT1H2H", "P1S", "P1DT2", "-P1D", "PT"]
)
def test_reject_bad_durations(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert "ISO 8601" in str(info.value) and " / " in str(info.value)


def test_duration_isoformat() -> None:
    assert Duration().isoformat() == "PT0S"
    assert Duration(years=1, weeks=2, seconds=Decimal("1.50")).isoformat() == "P1Y2WT1.5S"
    assert str(Duration(hours=36)) == "PT36H"
    assert Duration(seconds=Decimal("10")).isoformat() == "PT10S"


def test_calendar_arithmetic() -> None:
    jan31 = datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_duration("P1M").add_to(jan31) == datetime(2024, 2, 29, 12, 0, tzinfo=UTC)
    assert parse_duration("P1Y1M").add_to(jan31) == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)
    assert parse_duration("P11M").add_to(jan31) == datetime(2024, 12, 31, 12, 0, tzinfo=UTC)
    # a day is a calendar day across daylight saving, an hour is an hour
    before_dst = datetime(2024, 3, 30, 12, 0, tzinfo=BERLIN)
    assert parse_duration("P1D").add_to(before_dst) == datetime(2024, 3, 31, 12, 0, tzinfo=BERLIN)
    later = parse_duration("PT24H").add_to(before_dst)
    assert later == datetime(2024, 3, 31, 13, 0, tzinfo=BERLIN)
    assert later.astimezone(UTC) - before_dst.astimezone(UTC) == timedelta(hours=24)
    naive = datetime(2024, 1, 1)
    assert parse_duration("PT90M").add_to(naive) == datetime(2024, 1, 1, 1, 30)
    with pytest.raises(DurationError, match="out of range"):
        parse_duration("P9000Y").add_to(naive)


def test_to_timedelta() -> None:
    assert parse_duration("P1W1DT1H1M1.5S").to_timedelta() == timedelta(
        days=8, hours=1, minutes=1, seconds=1.5
    )
    with pytest.raises(DurationError, match="no fixed length"):
        parse_duration("P1M").to_timedelta()
    assert Duration.from_timedelta(timedelta(days=2, seconds=3725, microseconds=5)) == Duration(
        days=2, hours=1, minutes=2, seconds=Decimal("5.000005")
    )


def test_parse_datetime() -> None:
    assert parse_datetime("2024-05-01") == datetime(2024, 5, 1)
    assert parse_datetime("2024-05-01T09:30") == datetime(2024, 5, 1, 9, 30)
    assert parse_datetime("2024-05-01T09:30:00Z") == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert parse_datetime("2024-05-01T09:30:00.250+02:00") == datetime(
        2024, 5, 1, 9, 30, 0, 250000, tzinfo=timezone(timedelta(hours=2))
    )
    for bad in ("2024-13-01", "01.05.2024", "2024-05-01 09:30", "tomorrow", "2024-05-01T25:00"):
        with pytest.raises(DurationError):
            parse_datetime(bad)


def test_repeating_intervals() -> None:
    r = parse_repeating("R3/PT10M")
    assert r == RepeatingInterval(3, Duration(minutes=10))
    assert r.first(NOW) == NOW + timedelta(minutes=10)
    assert r.after(NOW, 1) == NOW + timedelta(minutes=10)
    assert r.after(NOW, 3) is None
    unbounded = parse_repeating("R/P1D")
    assert unbounded.repetitions is None and unbounded.after(NOW, 10_000) is not None
    started = parse_repeating("R2/2024-05-01T09:00:00/P1W")
    assert started.start == datetime(2024, 5, 1, 9, 0)
    assert started.first(NOW, BERLIN) == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    ending = parse_repeating("R/PT1H/2024-03-01T10:30:00Z")
    assert ending.first(NOW) == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert ending.after(datetime(2024, 3, 1, 10, 0, tzinfo=UTC), 2) is None
    assert parse_repeating(r.isoformat()) == r
    with pytest.raises(DurationError, match="cron"):
        parse_repeating("0 0 9-17 * * MON-FRI")
    for bad in ("R3", "R/P1D/P2D/P3D", "RX/P1D", "R0/P1D", "R/PT0S", "P1D"):
        with pytest.raises(DurationError):
            parse_repeating(bad)


def test_timer_literals() -> None:
    date_timer = TimerDefinition.parse("date", "2024-05-01T09:00:00")
    assert date_timer.first_due(NOW, tz=BERLIN) == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    assert date_timer.next_due(NOW, 1) is None
    duration = TimerDefinition.parse("duration", "P3D")
    assert duration.first_due(NOW) == NOW + timedelta(days=3)
    cycle = TimerDefinition.parse("cycle", "R2/PT1H")
    first = cycle.first_due(NOW)
    assert first == NOW + timedelta(hours=1)
    assert cycle.next_due(first, 1) == NOW + timedelta(hours=2)
    assert cycle.next_due(NOW + timedelta(hours=2), 2) is None
    assert cycle.is_cycle and not duration.is_cycle
    with pytest.raises(ValueError, match="timezone-aware"):
        duration.first_due(datetime(2024, 1, 1))


def test_timer_expressions() -> None:
    timer = TimerDefinition.parse("date", "${resubmitOn}")
    assert timer.expression is not None
    assert timer.first_due(NOW, {"resubmitOn": "2024-06-03"}, tz=BERLIN) == datetime(
        2024, 6, 2, 22, 0, tzinfo=UTC
    )
    assert timer.first_due(NOW, {"resubmitOn": date(2024, 6, 3)}) == datetime(
        2024, 6, 3, tzinfo=UTC
    )
    aware = datetime(2024, 6, 3, 9, 0, tzinfo=BERLIN)
    assert timer.first_due(NOW, {"resubmitOn": aware}) == aware.astimezone(UTC)
    assert timer.first_due(NOW, {"resubmitOn": "P1D"}) == NOW + timedelta(days=1)
    feel = TimerDefinition.parse("duration", "=reminder")
    assert feel.first_due(NOW, {"reminder": "PT30M"}) == NOW + timedelta(minutes=30)
    assert feel.first_due(NOW, {"reminder": timedelta(hours=2)}) == NOW + timedelta(hours=2)
    template = TimerDefinition.parse("duration", "P${days}D")
    assert template.first_due(NOW, {"days": 2}) == NOW + timedelta(days=2)
    cycle = TimerDefinition.parse("cycle", "${every}")
    assert cycle.first_due(NOW, {"every": "R/PT5M"}) == NOW + timedelta(minutes=5)
    with pytest.raises(DurationError, match="Task_1: .*unknown variable 'resubmitOn'"):
        timer.first_due(NOW, {}, where="Task_1")
    with pytest.raises(DurationError, match=r"\$\{resubmitOn\} gave a value of type int"):
        timer.first_due(NOW, {"resubmitOn": 5})
    with pytest.raises(DurationError, match="not an ISO 8601 duration"):
        feel.first_due(NOW, {"reminder": "tomorrow"})


@pytest.mark.parametrize(
    ("kind", "text", "fragment"),
    [
        ("date", "${dateTime().plusDays(3).toDate()}", "unknown function 'dateTime'"),
        ("date", "${dueDate.plusDays(1)}", "method calls are not supported"),
        ("date", "next monday", "not an ISO 8601 date"),
        ("duration", "3 days", "not an ISO 8601 duration"),
        ("cycle", "0 0/5 * * * ?", "cron expressions"),
        ("duration", "", "is empty"),
    ],
)
def test_timer_rejections_name_the_element(kind: str, text: str, fragment: str) -> None:
    with pytest.raises(DurationError) as info:
        TimerDefinition.parse(kind, text, where="bpmn:boundaryEvent id=Event_1")  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith("bpmn:boundaryEvent id=Event_1: ")
    assert fragment in message


def test_due_date_accepts_a_duration() -> None:
    due = TimerDefinition.parse_due_date("P2D")
    assert due.kind == "duration"
    assert due.first_due(NOW) == NOW + timedelta(days=2)
    assert TimerDefinition.parse_due_date("2030-01-31").kind == "date"
    assert TimerDefinition.parse_due_date("${due}").kind == "date"


def test_timer_round_trip() -> None:
    for kind, text in (("date", "2024-05-01"), ("duration", "P1D"), ("cycle", "R/P1D")):
        timer = TimerDefinition.parse(kind, text)  # type: ignore[arg-type]
        assert TimerDefinition.from_dict(timer.to_dict()) == timer


# --------------------------------------------------------------------------- properties

small = st.integers(min_value=0, max_value=10**6)
durations = st.builds(
    Duration,
    years=st.integers(0, 300),
    months=st.integers(0, 1000),
    weeks=small,
    days=small,
    hours=small,
    minutes=small,
    seconds=st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False),
)
moments = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
) | st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))


@given(durations)
def test_duration_round_trip(d: Duration) -> None:
    text = d.isoformat()
    assert parse_duration(text) == d
    assert parse_duration(text).isoformat() == text


@given(
    st.one_of(st.none(), st.integers(1, 10**6)),
    durations.filter(lambda d: not d.is_zero),
    st.one_of(st.none(), moments),
    st.one_of(st.none(), moments),
)
def test_repeating_round_trip(
    count: int | None, interval: Duration, start: datetime | None, end: datetime | None
) -> None:
    if start is not None and end is not None:
        end = None  # R/start/duration/end is not an ISO form
    r = RepeatingInterval(count, interval, start, end)
    assert parse_repeating(r.isoformat()) == r


@settings(deadline=None)
@given(durations.filter(lambda d: not d.years and not d.months), moments)
def test_fixed_durations_add_like_timedelta_in_utc(d: Duration, moment: datetime) -> None:
    try:
        expected = moment + d.to_timedelta()
    except OverflowError:
        return
    if expected.year > 9999:
        return
    assert d.add_to(moment) == expected


@given(st.integers(0, 1200), moments)
def test_month_arithmetic_clamps_to_month_end(months: int, moment: datetime) -> None:
    result = Duration(months=months).add_to(moment)
    assert (result.year * 12 + result.month) - (moment.year * 12 + moment.month) == months
    assert result.day <= moment.day
    assert result.time() == moment.time()


@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_duration_error(text: str) -> None:
    for parse in (parse_duration, parse_datetime, parse_repeating):
        with contextlib.suppress(DurationError):
            parse(text)
    for kind in ("date", "duration", "cycle"):
        with contextlib.suppress(DurationError):
            TimerDefinition.parse(kind, text)  # type: ignore[arg-type]
