"""The deployments built from code: schedule read as Prefect reads it, parameters, limits.

``deployments/prefect.yaml`` mirrors the code with the default settings; the code is the
reference, and these tests fail as soon as the two drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml

from patrimoine.config import PROJECT_DIR, Settings, load_settings
from patrimoine.deployments.definitions import (
    CANCEL_NEW,
    ENQUEUE,
    ENTRYPOINT,
    NIGHTLY,
    ON_DEMAND,
    TIMEZONE,
    build_deployments,
    french_time,
    next_runs,
    nightly_cron,
    specs,
)

PREFECT_YAML = PROJECT_DIR / "deployments" / "prefect.yaml"


def _yaml_deployments() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    return {d["name"]: d for d in data["deployments"]}


def _built(settings: Settings | None = None) -> dict[str, Any]:
    return {d.name: d for d in build_deployments(settings or Settings(), "patrimoine")}


def _paris(moments: list[datetime]) -> list[str]:
    return [m.isoformat(timespec="minutes") for m in moments]


def test_nightly_cron_comes_from_the_setting() -> None:
    assert nightly_cron("02:30") == "30 2 * * *"
    settings = load_settings(environ={"PATRIMOINE_NIGHTLY_TIME": "4:05"})
    (schedule,) = _built(settings)[NIGHTLY].schedules
    assert schedule.schedule.cron == "5 4 * * *"
    assert schedule.schedule.timezone == TIMEZONE and schedule.active
    assert _built(settings)[ON_DEMAND].schedules == []


def test_nightly_runs_in_paris_time_across_the_march_change() -> None:
    """On 28 March 2027 02:30 does not exist in Paris: Prefect runs at 03:30 CEST, once."""
    (schedule,) = _built()[NIGHTLY].schedules
    runs = next_runs(schedule.schedule.cron, 4, datetime(2027, 3, 26, 12, tzinfo=UTC))
    assert _paris(runs) == [
        "2027-03-27T02:30+01:00",
        "2027-03-28T03:30+02:00",
        "2027-03-29T02:30+02:00",
        "2027-03-30T02:30+02:00",
    ]
    assert french_time(runs[2]) == "lundi 29 mars 2027 à 02:30"


def test_nightly_runs_once_on_the_october_night_that_repeats_an_hour() -> None:
    """02:30 exists twice on 31 October 2027: Prefect runs at the first one (CEST) only."""
    runs = next_runs(nightly_cron("02:30"), 4, datetime(2027, 10, 29, 12, tzinfo=UTC))
    assert _paris(runs) == [
        "2027-10-30T02:30+02:00",
        "2027-10-31T02:30+02:00",
        "2027-11-01T02:30+01:00",
        "2027-11-02T02:30+01:00",
    ]
    assert [r.astimezone(UTC).hour for r in runs] == [0, 0, 1, 1]


def test_deployments_run_the_timed_refresh_all_flow_with_its_parameters() -> None:
    from flows.refresh import refresh_all as plain
    from patrimoine.deployments import entrypoints

    assert entrypoints.refresh_all.name == plain.name == "refresh-all"
    flow_parameters = set(plain.parameters.properties)
    for deployment in _built().values():
        assert deployment.entrypoint == ENTRYPOINT
        assert deployment.flow_name == "refresh-all"
        assert (
            set(deployment.parameters)
            == flow_parameters
            == set(deployment._parameter_openapi_schema.properties)
        )
        assert deployment.parameters["datasets"] is None
        assert deployment.work_pool_name == "patrimoine"
    on_demand = _built()[ON_DEMAND].parameters
    assert {k: on_demand[k] for k in ("dry_run", "accept_drop", "offline")} == dict.fromkeys(
        ("dry_run", "accept_drop", "offline"), False
    )


def test_the_entrypoint_is_importable_and_has_the_run_timeout() -> None:
    from prefect import Flow
    from prefect.flows import load_flow_from_entrypoint

    from patrimoine.deployments.entrypoints import timed

    flow: Flow[..., Any] = load_flow_from_entrypoint(ENTRYPOINT)
    assert flow.name == "refresh-all"
    assert flow.timeout_seconds == Settings().run_timeout == 4 * 3600
    assert timed(90).timeout_seconds == 90
    assert timed(0).timeout_seconds is None  # 0: no limit


def test_one_run_at_a_time_nightly_cancels_on_demand_queues() -> None:
    built = _built()
    for name, strategy in ((NIGHTLY, CANCEL_NEW), (ON_DEMAND, ENQUEUE)):
        assert built[name].concurrency_limit == 1
        assert built[name].concurrency_options.collision_strategy.value == strategy


def test_prefect_yaml_mirrors_the_code_with_default_settings() -> None:
    from prefect.client.schemas.schedules import CronSchedule

    in_yaml = _yaml_deployments()
    assert set(in_yaml) == {NIGHTLY, ON_DEMAND}
    for spec in specs(Settings()):
        mirrored = in_yaml[spec.name]
        assert mirrored["entrypoint"] == ENTRYPOINT
        assert mirrored["description"] == spec.description
        assert mirrored["parameters"] == spec.parameters
        assert tuple(mirrored["tags"]) == spec.tags
        assert mirrored["work_pool"]["name"] == "patrimoine"
        assert mirrored["concurrency_limit"] == {
            "limit": spec.concurrency_limit,
            "collision_strategy": spec.collision_strategy,
        }
        schedules = mirrored.get("schedules", [])
        if spec.cron is None:
            assert schedules == []
            continue
        (schedule,) = schedules
        parsed = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
        assert (parsed.cron, parsed.timezone) == (spec.cron, spec.timezone)
        assert schedule["active"] is True
