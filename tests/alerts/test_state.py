"""The no-flood rule, with a simulated clock (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from patrimoine.alerts.state import AlertState, decide

T0 = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


def _sent(decision_state: AlertState, when: datetime) -> AlertState:
    decision_state.last_alert_at = when
    return decision_state


def test_one_alert_a_reminder_after_the_delay_then_recovery() -> None:
    first = decide(AlertState("d"), "failed", "cause", T0, 7)
    assert first.kind == "failure" and first.since == T0
    state = _sent(first.state, T0)
    assert decide(state, "failed", "cause", T0 + timedelta(days=6, hours=23), 7).kind is None
    reminder = decide(state, "failed", "cause", T0 + timedelta(days=7), 7)
    assert reminder.kind == "reminder" and reminder.since == T0
    state = _sent(reminder.state, T0 + timedelta(days=7))
    back = decide(state, "unchanged", None, T0 + timedelta(days=8), 7)
    assert back.kind == "recovered" and back.since == T0 and back.state.failing_since is None
    assert decide(back.state, "updated", None, T0 + timedelta(days=9), 7).kind is None


def test_statuses_that_never_alert_leave_the_state_alone() -> None:
    failing = _sent(decide(AlertState("d"), "held", "c", T0, 7).state, T0)
    for status in ("unconfigured", "skipped", "dry-run", "interrupted"):
        decision = decide(failing, status, "c", T0 + timedelta(days=30), 7)
        assert decision.kind is None and decision.state is failing
    assert decide(AlertState("d"), "unconfigured", "c", T0, 7).kind is None


def test_an_undelivered_alert_is_tried_again_and_failed_to_held_is_news() -> None:
    undelivered = decide(AlertState("d"), "failed", "c", T0, 7).state  # no channel delivered
    assert decide(undelivered, "failed", "c", T0 + timedelta(days=1), 7).kind == "failure"
    delivered = _sent(undelivered, T0)
    assert decide(delivered, "held", "c", T0 + timedelta(days=1), 7).kind == "failure"
    no_reminders = decide(delivered, "failed", "c", T0 + timedelta(days=100), 0)
    assert no_reminders.kind is None


def test_no_recovery_message_for_a_failure_nobody_was_told_about() -> None:
    undelivered = decide(AlertState("d"), "failed", "c", T0, 7).state
    assert decide(undelivered, "updated", None, T0 + timedelta(days=1), 7).kind is None
