"""ISO 8601 durations, dates and repeating intervals for timers and task dates.

What a model may write (in ``timeDate``/``timeDuration``/``timeCycle`` of a timer event, and
in ``camunda:dueDate``/``camunda:followUpDate`` or ``zeebe:taskSchedule`` of a user task):

- a duration: ``P1D``, ``PT2H``, ``P1Y2M3DT4H5M6S``, ``P2W``, ``PT0.5S``;
- a date or date-time: ``2024-05-01``, ``2024-05-01T09:00``, ``2024-05-01T09:00:00+02:00``,
  ``2024-05-01T07:00:00Z`` (no zone: the zone the runtime passes as ``tz``);
- a repeating interval: ``R3/PT10M``, ``R/P1D``, ``R5/2024-05-01T09:00:00/P1W``,
  ``R/PT1H/2024-06-01T00:00:00Z`` (with an end);
- an expression in ``${...}`` or FEEL ``=...`` (see :mod:`workflows.expressions`), evaluated
  when the timer is started: ``${resubmitOn}``, ``${reminder}``, ``P${days}D``. The value may be
  a ``datetime``/``date``/``Duration``/``timedelta`` or a string in one of the forms above.

Anything else, such as Camunda's ``${dateTime().plusDays(3).toDate()}`` or a cron
expression, is rejected when the model is deployed, with a message naming the element.

Arithmetic: years and months are added on the calendar (31 January + P1M = 29 February in a
leap year), weeks and days on the wall clock of ``tz`` (P1D across a daylight-saving change
is the same time the next day), hours/minutes/seconds as elapsed time. Results of
:meth:`TimerDefinition.first_due` and :meth:`TimerDefinition.next_due` are aware UTC datetimes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Literal

from dms.errors import InvalidInput
from workflows.expressions import Expression, ExpressionError, compile_value

__all__ = [
    "Duration",
    "DurationError",
    "RepeatingInterval",
    "TimerDefinition",
    "TimerKind",
    "parse_datetime",
    "parse_duration",
    "parse_repeating",
]

TimerKind = Literal["date", "duration", "cycle"]
TIMER_KINDS: tuple[TimerKind, ...] = ("date", "duration", "cycle")


class DurationError(InvalidInput):
    """A duration, date, cycle or timer value that is malformed or unsupported."""

    code = "invalid_timer"

    def __init__(self, german: str, english: str, *, where: str = "") -> None:
        self.german = german
        self.english = english
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{german} / {english}")


_NUM = r"(\d{1,9})"
_DURATION_RE = re.compile(
    rf"P(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?:{_NUM}H)?(?:{_NUM}M)?(?:(\d{{1,9}}(?:[.,]\d{{1,9}})?)S)?)?"
)
_DATETIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_CYCLE_RE = re.compile(r"R(\d{0,9})/(.+)")


@dataclass(frozen=True, slots=True)
class Duration:
    """An ISO 8601 duration with its components kept as written (``P1D`` is not ``PT24H``)."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not isinstance(self.seconds, Decimal):
            object.__setattr__(self, "seconds", Decimal(self.seconds))
        for name in ("years", "months", "weeks", "days", "hours", "minutes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DurationError(
                    f"Dauer: {name} muss eine ganze Zahl >= 0 sein",
                    f"duration: {name} must be a whole number >= 0",
                )
        if not self.seconds.is_finite() or self.seconds < 0:
            raise DurationError(
                "Dauer: Sekunden müssen >= 0 sein", "duration: seconds must be >= 0"
            )

    @property
    def is_zero(self) -> bool:
        return (
            not (self.years or self.months or self.weeks or self.days or self.hours or self.minutes)
            and self.seconds == 0
        )

    def isoformat(self) -> str:
        out = "P"
        for value, unit in (
            (self.years, "Y"),
            (self.months, "M"),
            (self.weeks, "W"),
            (self.days, "D"),
        ):
            if value:
                out += f"{value}{unit}"
        time = ""
        for value, unit in ((self.hours, "H"), (self.minutes, "M")):
            if value:
                time += f"{value}{unit}"
        if self.seconds:
            time += f"{format(self.seconds.normalize(), 'f')}S"
        if time:
            out += "T" + time
        return out if out != "P" else "PT0S"

    __str__ = isoformat

    def to_timedelta(self) -> timedelta:
        """Exact length; only for durations without years and months (their length varies)."""
        if self.years or self.months:
            raise DurationError(
                f"{self.isoformat()} hat keine feste Länge (Jahre/Monate)",
                f"{self.isoformat()} has no fixed length (years/months)",
            )
        return timedelta(
            weeks=self.weeks,
            days=self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=float(self.seconds),
        )

    @classmethod
    def from_timedelta(cls, delta: timedelta) -> Duration:
        if delta < timedelta(0):
            raise DurationError("Negative Dauer", "negative duration")
        hours, rest = divmod(delta.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        micro = Decimal(delta.microseconds).scaleb(-6)
        return cls(days=delta.days, hours=hours, minutes=minutes, seconds=seconds + micro)

    def add_to(self, moment: datetime) -> datetime:
        """``moment`` plus this duration (calendar rules in the module docstring)."""
        try:
            if self.years or self.months:
                total = moment.year * 12 + moment.month - 1 + self.years * 12 + self.months
                year, month0 = divmod(total, 12)
                month = month0 + 1
                day = min(moment.day, calendar.monthrange(year, month)[1])
                moment = moment.replace(year=year, month=month, day=day)
            if self.weeks or self.days:
                moment = moment + timedelta(days=self.weeks * 7 + self.days)
                if moment.tzinfo is not None:  # normalise a wall time that DST skipped
                    moment = moment.astimezone(UTC).astimezone(moment.tzinfo)
            if self.hours or self.minutes or self.seconds:
                elapsed = timedelta(
                    hours=self.hours, minutes=self.minutes, seconds=float(self.seconds)
                )
                if moment.tzinfo is None:
                    moment = moment + elapsed
                else:
                    moment = (moment.astimezone(UTC) + elapsed).astimezone(moment.tzinfo)
        except (OverflowError, ValueError) as exc:
            raise DurationError(
                f"{moment.isoformat()} + {self.isoformat()} liegt außerhalb des Kalenders",
                f"{moment.isoformat()} + {self.isoformat()} is out of range",
            ) from exc
        return moment


def parse_duration(text: str) -> Duration:
    """Parse ``PnYnMnWnDTnHnMnS`` (fractions only on seconds); raises :class:`DurationError`."""
    t = text.strip().upper() if isinstance(text, str) else ""
    m = _DURATION_RE.fullmatch(t)
    if not m or t in ("P", "") or t.endswith("T"):
        raise DurationError(
            f"{text!r} ist keine ISO-8601-Dauer (z. B. P3D, PT2H, P1Y2M3DT4H5M6S, P2W)",
            f"{text!r} is not an ISO 8601 duration (e.g. P3D, PT2H, P1Y2M3DT4H5M6S, P2W)",
        )
    y, mo, w, d, h, mi, s = m.groups()
    return Duration(
        years=int(y or 0),
        months=int(mo or 0),
        weeks=int(w or 0),
        days=int(d or 0),
        hours=int(h or 0),
        minutes=int(mi or 0),
        seconds=Decimal((s or "0").replace(",", ".")),
    )


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date (midnight) or date-time; naive when no zone is written."""
    t = text.strip() if isinstance(text, str) else ""
    if _DATETIME_RE.fullmatch(t):
        try:
            return datetime.fromisoformat(t.replace(",", "."))
        except ValueError:
            pass
    raise DurationError(
        f"{text!r} ist kein ISO-8601-Datum (z. B. 2024-05-01 oder 2024-05-01T09:00:00+02:00)",
        f"{text!r} is not an ISO 8601 date (e.g. 2024-05-01 or 2024-05-01T09:00:00+02:00)",
    )


def _localize(moment: datetime, tz: tzinfo) -> datetime:
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


@dataclass(frozen=True, slots=True)
class RepeatingInterval:
    """``R[n]/[start/]interval[/end]``: fire ``repetitions`` times (None: without limit),
    first at ``start`` (or one interval after the timer starts), then every ``interval``,
    never after ``end``."""

    repetitions: int | None
    interval: Duration
    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.interval.is_zero:
            raise DurationError("Wiederholung mit Dauer 0", "repeating interval of length zero")
        if self.repetitions is not None and self.repetitions < 1:
            raise DurationError("R0 wiederholt nie", "R0 never repeats")

    def isoformat(self) -> str:
        out = f"R{'' if self.repetitions is None else self.repetitions}/"
        if self.start is not None:
            out += self.start.isoformat() + "/"
        out += self.interval.isoformat()
        if self.end is not None:
            out += "/" + self.end.isoformat()
        return out

    __str__ = isoformat

    def first(self, now: datetime, tz: tzinfo = UTC) -> datetime | None:
        """The first due time for a timer started at ``now`` (aware), in UTC; None if past end."""
        due = (
            _localize(self.start, tz)
            if self.start is not None
            else self.interval.add_to(now.astimezone(tz))
        )
        return self._within_end(due, tz)

    def after(self, previous: datetime, fired: int, tz: tzinfo = UTC) -> datetime | None:
        """The due time after the ``fired``-th firing at ``previous``; None when done."""
        if self.repetitions is not None and fired >= self.repetitions:
            return None
        return self._within_end(self.interval.add_to(previous.astimezone(tz)), tz)

    def _within_end(self, due: datetime, tz: tzinfo) -> datetime | None:
        if self.end is not None and due > _localize(self.end, tz):
            return None
        return due.astimezone(UTC)


def parse_repeating(text: str) -> RepeatingInterval:
    """Parse ``R[n]/duration``, ``R[n]/start/duration`` or ``R[n]/duration/end``."""
    t = text.strip() if isinstance(text, str) else ""
    m = _CYCLE_RE.fullmatch(t)
    if not m:
        if len(t.split()) >= 5:
            raise DurationError(
                f"Cron-Ausdrücke ({text!r}) werden nicht unterstützt, nur ISO 8601 wie R/P1D",
                f"cron expressions ({text!r}) are not supported, only ISO 8601 such as R/P1D",
            )
        raise DurationError(
            f"{text!r} ist keine ISO-8601-Wiederholung (z. B. R3/PT10M, R/P1D)",
            f"{text!r} is not an ISO 8601 repeating interval (e.g. R3/PT10M, R/P1D)",
        )
    count, rest = m.groups()
    repetitions = int(count) if count else None
    parts = rest.split("/")
    start = end = None
    if len(parts) == 1:
        interval = parse_duration(parts[0])
    elif len(parts) == 2 and parts[1].strip().upper().startswith("P"):
        start, interval = parse_datetime(parts[0]), parse_duration(parts[1])
    elif len(parts) == 2:
        interval, end = parse_duration(parts[0]), parse_datetime(parts[1])
    else:
        raise DurationError(
            f"{text!r}: zu viele '/'-Teile", f"{text!r}: too many '/'-separated parts"
        )
    return RepeatingInterval(repetitions, interval, start, end)


# --------------------------------------------------------------------------- timers

_WHAT = {
    "date": ("Zeitpunkt (timeDate)", "date (timeDate)"),
    "duration": ("Dauer (timeDuration)", "duration (timeDuration)"),
    "cycle": ("Wiederholung (timeCycle)", "cycle (timeCycle)"),
}


@dataclass(frozen=True, slots=True)
class TimerDefinition:
    """When a timer fires, parsed once at deploy time.

    Exactly one of ``date``/``duration``/``cycle`` is set for a literal (the one matching
    ``kind``); for ``${...}``/``=...`` text ``expression`` is set instead and evaluated by
    :meth:`first_due`/:meth:`next_due` against the instance's variables.
    ``source`` is the text as written; ``to_dict``/``from_dict`` keep only kind and source.
    """

    kind: TimerKind
    source: str
    expression: Expression | None = None
    date: datetime | None = None
    duration: Duration | None = None
    cycle: RepeatingInterval | None = None

    @classmethod
    def parse(cls, kind: TimerKind, text: str, *, where: str = "") -> TimerDefinition:
        """Parse the text of a ``timeDate``/``timeDuration``/``timeCycle`` (``kind``)."""
        if kind not in TIMER_KINDS:
            raise ValueError(f"unknown timer kind {kind!r}")
        t = (text or "").strip()
        if not t:
            de, en = _WHAT[kind]
            raise DurationError(f"{de} ist leer", f"{en} is empty", where=where)
        if "${" in t or "#{" in t or t.startswith("="):
            try:
                expression = compile_value(t)
            except ExpressionError as exc:
                raise DurationError(
                    "Nur ISO-8601-Werte oder Ausdrücke wie ${variable} sind erlaubt; " + exc.german,
                    "only ISO 8601 values or expressions such as ${variable} are allowed; "
                    + exc.english,
                    where=where,
                ) from exc
            return cls(kind, t, expression=expression)
        try:
            if kind == "date":
                return cls(kind, t, date=parse_datetime(t))
            if kind == "duration":
                return cls(kind, t, duration=parse_duration(t))
            return cls(kind, t, cycle=parse_repeating(t))
        except DurationError as exc:
            raise DurationError(exc.german, exc.english, where=where) from exc

    @classmethod
    def parse_due_date(cls, text: str, *, where: str = "") -> TimerDefinition:
        """A task's due or follow-up date: a date, or a duration from task creation (``P3D``),
        or an expression giving either."""
        t = (text or "").strip()
        if t.upper().startswith("P"):
            return cls.parse("duration", t, where=where)
        return cls.parse("date", t, where=where)

    @property
    def is_cycle(self) -> bool:
        return self.kind == "cycle"

    def first_due(
        self,
        now: datetime,
        variables: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo = UTC,
        strict: bool = True,
        where: str = "",
    ) -> datetime | None:
        """The first due time (aware, UTC) for a timer started at ``now`` (aware).

        A date without a zone is read in ``tz``. None only for a cycle whose end has passed.
        Raises :class:`DurationError` when an expression gives an unusable value.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        value = self._value(variables, strict, where)
        local_now = now.astimezone(tz)
        if isinstance(value, RepeatingInterval):
            return value.first(now, tz)
        if isinstance(value, Duration):
            return value.add_to(local_now).astimezone(UTC)
        return _localize(value, tz).astimezone(UTC)

    def next_due(
        self,
        previous_due: datetime,
        fired: int,
        variables: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo = UTC,
        strict: bool = True,
        where: str = "",
    ) -> datetime | None:
        """For a cycle, the due time after it fired ``fired`` times, the last at
        ``previous_due``; None when it is done. Dates and durations fire once: always None."""
        if self.kind != "cycle":
            return None
        value = self._value(variables, strict, where)
        assert isinstance(value, RepeatingInterval)
        return value.after(previous_due, fired, tz)

    def _value(
        self, variables: Mapping[str, Any] | None, strict: bool, where: str
    ) -> datetime | Duration | RepeatingInterval:
        if self.expression is None:
            literal = {"date": self.date, "duration": self.duration, "cycle": self.cycle}[self.kind]
            assert literal is not None
            return literal
        try:
            raw = self.expression.evaluate(variables, strict=strict)
        except ExpressionError as exc:
            raise DurationError(exc.german, exc.english, where=where) from exc
        try:
            return _coerce(self.kind, raw)
        except DurationError as exc:
            raise DurationError(
                f"{self.source} ergab {exc.german}",
                f"{self.source} gave {exc.english}",
                where=where,
            ) from exc

    def to_dict(self) -> dict[str, str]:
        return {"$timer": self.kind, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> TimerDefinition:
        return cls.parse(data["$timer"], data["source"])  # type: ignore[arg-type]


def _coerce(kind: TimerKind, raw: Any) -> datetime | Duration | RepeatingInterval:
    """The value of a timer expression as a date, duration or cycle."""
    if kind == "cycle":
        if isinstance(raw, RepeatingInterval):
            return raw
        if isinstance(raw, str):
            return parse_repeating(raw)
    else:
        if isinstance(raw, Duration):
            return raw
        if isinstance(raw, timedelta):
            return Duration.from_timedelta(raw)
        if isinstance(raw, str):
            if kind == "duration" or raw.strip().upper().startswith("P"):
                return parse_duration(raw)
            return parse_datetime(raw)
        if kind == "date":
            if isinstance(raw, datetime):
                return raw
            if isinstance(raw, date):
                return datetime(raw.year, raw.month, raw.day)
    de, en = _WHAT[kind]
    raise DurationError(
        f"einen Wert vom Typ {type(raw).__name__}, erwartet: {de}",
        f"a value of type {type(raw).__name__}, expected a {en}",
    )
