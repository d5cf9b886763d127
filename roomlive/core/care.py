"""Rules for the care of each participant: check-ins, flags, doses, vitals, notes. Pure."""

from __future__ import annotations

from roomlive.core import commands as c
from roomlive.core import events as e
from roomlive.core.model import CHECK_STATUSES, DoseKind, Session
from roomlive.core.shared import MAX_NOTE, DomainError, find_participant, require_range

MAX_FLAGS = 16
MAX_FLAG_NAME = 20
MAX_CHECKIN_MINUTES = 120
VITALS_RANGES = {
    "systolic": (50, 260),
    "diastolic": (20, 160),
    "hr": (20, 250),
    "spo2": (50, 100),
}

CareCommand = (
    c.CheckParticipant
    | c.ToggleFlag
    | c.RecordDose
    | c.RecordVitals
    | c.SetNote
    | c.SetThresholds
    | c.SetFlags
    | c.SetCheckinInterval
)


def decide_care(state: Session, command: CareCommand, now: float) -> list[e.Event]:
    match command:
        case c.CheckParticipant(by=by, pid=pid, status=status):
            find_participant(state, pid)
            if status not in CHECK_STATUSES:
                raise DomainError(f"status must be one of {', '.join(CHECK_STATUSES)}")
            return [e.ParticipantChecked(at=now, by=by, pid=pid, status=status)]
        case c.ToggleFlag(by=by, pid=pid, flag=flag):
            participant = find_participant(state, pid)
            if flag not in state.flags:
                known = ", ".join(state.flags)
                raise DomainError(f"unknown flag {flag!r}; this session's flags are {known}")
            return [e.FlagSet(at=now, by=by, pid=pid, flag=flag, on=flag not in participant.flags)]
        case c.RecordDose(by=by, pid=pid, kind=kind):
            participant = find_participant(state, pid)
            if kind is DoseKind.BOOSTER and participant.dosed_at is None:
                raise DomainError("record the dose before a booster")
            return [e.DoseRecorded(at=now, by=by, pid=pid, kind=kind)]
        case c.RecordVitals(by=by, pid=pid):
            find_participant(state, pid)
            readings = {
                "systolic": command.systolic,
                "diastolic": command.diastolic,
                "hr": command.hr,
                "spo2": command.spo2,
            }
            if all(value is None for value in readings.values()):
                raise DomainError("enter at least one reading (BP, HR or SpO2)")
            if (command.systolic is None) != (command.diastolic is None):
                raise DomainError("blood pressure needs both systolic and diastolic")
            for name, value in readings.items():
                if value is not None:
                    require_range(value, *VITALS_RANGES[name], name)
            return [e.VitalsRecorded(at=now, by=by, pid=pid, **readings)]
        case c.SetNote(by=by, pid=pid, text=text):
            find_participant(state, pid)
            if len(text) > MAX_NOTE:
                raise DomainError(f"the note is longer than {MAX_NOTE} characters")
            return [e.NoteSet(at=now, by=by, pid=pid, text=text.strip())]
        case c.SetThresholds(by=by, thresholds=limits):
            require_range(limits.systolic_max, *VITALS_RANGES["systolic"], "systolic limit")
            require_range(limits.diastolic_max, *VITALS_RANGES["diastolic"], "diastolic limit")
            require_range(limits.hr_max, *VITALS_RANGES["hr"], "heart rate upper limit")
            require_range(limits.hr_min, *VITALS_RANGES["hr"], "heart rate lower limit")
            require_range(limits.spo2_min, *VITALS_RANGES["spo2"], "SpO2 limit")
            if limits.hr_min >= limits.hr_max:
                raise DomainError("the heart rate lower limit must be below the upper limit")
            return [
                e.ThresholdsChanged(
                    at=now,
                    by=by,
                    systolic_max=limits.systolic_max,
                    diastolic_max=limits.diastolic_max,
                    hr_max=limits.hr_max,
                    hr_min=limits.hr_min,
                    spo2_min=limits.spo2_min,
                )
            ]
        case c.SetFlags(by=by, flags=flags):
            check_flags(flags)
            return [e.FlagsChanged(at=now, by=by, flags=flags)]
        case c.SetCheckinInterval(by=by, minutes=minutes):
            require_range(minutes, 1, MAX_CHECKIN_MINUTES, "the check-in interval in minutes")
            return [e.CheckinIntervalChanged(at=now, by=by, minutes=minutes)]
    raise DomainError(f"unknown command {type(command).__name__}")


def check_flags(flags: tuple[str, ...]) -> None:
    if not 1 <= len(flags) <= MAX_FLAGS:
        raise DomainError(f"a session has between 1 and {MAX_FLAGS} flags")
    if len(set(flags)) != len(flags):
        raise DomainError("each flag may appear once")
    for flag in flags:
        if not flag.strip() or len(flag) > MAX_FLAG_NAME or flag != flag.strip():
            raise DomainError(f"each flag needs a name of 1 to {MAX_FLAG_NAME} characters")
