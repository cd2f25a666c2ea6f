"""Settings: defaults, a TOML file, `CITYBOARD_` env and flags, in that order of strength."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.errors import ConfigError
from server.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_local_and_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CITYBOARD_PUSH_TOKEN", raising=False)
    s = load_settings()
    assert (s.host, s.port, s.demo) == ("127.0.0.1", 8080, True)
    assert s.push_token is None, "push is off until a token is configured"
    assert s.ws_max_message_bytes == 64 * 1024


def test_file_then_env_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        'port = 9000\ncity_name = "Busan"\nws_max_errors = 9\n'
        'allowed_origins = ["https://wall.example.org"]\n'
    )
    monkeypatch.setenv("CITYBOARD_CITY_NAME", "Incheon")
    monkeypatch.setenv("CITYBOARD_PUSH_TOKEN", "s3cret")
    s = load_settings(config, port=9100)
    assert s.port == 9100, "a flag beats the file"
    assert s.city_name == "Incheon", "the environment beats the file"
    assert s.ws_max_errors == 9 and s.allowed_origins == ["https://wall.example.org"]
    assert s.push_token is not None and s.push_token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s), "secrets never print"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("port = 70000", "port"),
        ('city_timezone = "Mars/Olympus"', "unknown time zone"),
        ("colour = 3", "colour"),
        ("port = [", "not valid TOML"),
        ('operator_token = "x"', "CITYBOARD_OPERATOR_TOKEN"),
        ('push_token = "x"\nadmin_token = "y"', "only from the environment"),
    ],
)
def test_bad_files_name_the_setting(tmp_path: Path, text: str, fragment: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=fragment) as info:
        load_settings(config)
    assert str(config) in info.value.message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_example_config_lists_every_setting_with_its_default() -> None:
    example = (ROOT / "config.example.toml").read_text()
    from server.settings import Settings

    for name in Settings.model_fields:
        documented = (f"# {name} = ", f"\n{name} = ", f"# [[{name}]]", f"# [{name}]")
        assert any(d in example for d in documented), f"{name} is not documented"
    loaded = load_settings(ROOT / "config.example.toml")
    assert loaded.port == Settings().port


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('port = "8080"', "port: Input should be a valid integer"),
        ('demo = "yes"', "demo: Input should be a valid boolean"),
        ("demo_speed = true", "demo_speed: Input should be a valid number"),
        (
            'allowed_origins = "https://wall.example.org"',
            "allowed_origins: Input should be a valid (list|array)",
        ),
        (
            '[[feeds]]\nname = "a"\nadapter = "cap"\nurl = "https://x.example"\n'
            'interval_seconds = "60"',
            r"feeds\[0\]\.interval_seconds: Input should be a valid number",
        ),
    ],
)
def test_a_file_gives_values_of_their_own_type_not_text_that_looks_like_one(
    tmp_path: Path, text: str, fragment: str
) -> None:
    config = tmp_path / "lax.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        load_settings(config)


def test_the_environment_is_text_and_still_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CITYBOARD_PORT", "9001")
    monkeypatch.setenv("CITYBOARD_DEMO", "false")
    config = tmp_path / "c.toml"
    config.write_text("demo_speed = 2\n")  # a whole number is a fine float
    s = load_settings(config)
    assert (s.port, s.demo, s.demo_speed) == (9001, False, 2.0)


def test_the_situations_table_is_read_and_checked(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[situations]\ndistance_m = 800.0\ncluster_min = 7\n")
    loaded = load_settings(config)
    assert (loaded.situations.distance_m, loaded.situations.cluster_min) == (800.0, 7)
    assert loaded.situations.window_minutes == 120.0
    for typo in ("flood", "disaster.flod", "weather.flood"):  # not even dotted, a typo, no kind
        config.write_text(f'[situations]\naffinity = [["disaster.fire", "{typo}"]]\n')
        with pytest.raises(ConfigError, match=f"unknown categories {typo} "):
            load_settings(config)


def test_the_public_port_must_differ_from_the_boards(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("port = 8080\npublic_port = 8080\n")
    with pytest.raises(ConfigError, match="public_port: 8080 is the board's own port"):
        load_settings(config)
    config.write_text("port = 8080\npublic_port = 8081\n")
    assert load_settings(config).public_port == 8081
