import pytest

from app.config import ENV_VARS, ConfigError, Settings


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
    ],
)
def test_a_bad_value_names_the_variable(name, value, fragment):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value)
    assert fragment in str(caught.value)


def test_env_vars_lists_every_variable_read():
    assert {"PORT", "WEB_CONCURRENCY", "DRAIN_SECONDS", "PROMETHEUS_MULTIPROC_DIR"} <= set(ENV_VARS)
