import pytest

from app.config import ConfigError, Settings


def test_defaults_follow_the_contract():
    settings = Settings.from_env({})
    assert settings.port == 8000
    assert settings.web_concurrency >= 2
    assert settings.app_env == "development"
    assert settings.chaos_enabled is True


def test_chaos_is_off_by_default_in_production_but_can_be_forced():
    assert Settings.from_env({"APP_ENV": "production"}).chaos_enabled is False
    forced = Settings.from_env({"APP_ENV": "production", "CHAOS_ENABLED": "true"})
    assert forced.chaos_enabled is True


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PORT", "eighty", "not an integer"),
        ("PORT", "70000", "out of range"),
        ("WEB_CONCURRENCY", "0", "out of range"),
        ("APP_ENV", "prod", "not one of"),
        ("CHAOS_ENABLED", "maybe", "not a boolean"),
        ("LOG_LEVEL", "LOUD", "not one of"),
        ("MODEL_DIR", "  ", "empty"),
        ("GIT_COMMIT_TIME", "yesterday", "not an ISO 8601 time"),
        ("GIT_COMMIT_TIME", "2024-05-01T12:00:00", "no time zone"),
        ("GIT_CHANGES", "abc1234", "is not sha=ISO 8601 time"),
        ("GIT_CHANGES", "abc1234=yesterday", "not an ISO 8601 time"),
    ],
)
def test_a_bad_value_names_the_variable(name, value, fragment):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    ["2024-05-01T12:00:00Z", "2024-05-01T14:00:00+02:00"],  # make image's, git's %cI
)
def test_the_commit_time_is_one_instant_whatever_its_zone(raw):
    settings = Settings.from_env({"GIT_COMMIT_TIME": raw})
    assert settings.git_commit_time.timestamp() == 1_714_564_800


def test_an_unknown_commit_time_is_none():
    assert Settings.from_env({}).git_commit_time is None
    assert Settings.from_env({"GIT_COMMIT_TIME": "unknown"}).git_commit_time is None


def test_the_changes_a_deployment_brings_are_commits_with_their_times():
    raw = "aaa1111=2024-05-01T11:00:00Z  bbb2222=2024-05-01T13:30:00+02:00\n"
    changes = Settings.from_env({"GIT_CHANGES": raw}).git_changes
    assert [(sha, when.timestamp()) for sha, when in changes] == [
        ("aaa1111", 1_714_561_200),
        ("bbb2222", 1_714_563_000),
    ]
    assert Settings.from_env({}).git_changes == ()
