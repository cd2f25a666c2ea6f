"""Every refusal is one clear line: what is wrong and what to do, exit 2, never a traceback.

Each test runs the real command, as a new user would on a bad day.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.process import cityboard, refusal

pytestmark = pytest.mark.slow


def test_a_typo_in_feed_options_names_the_setting_and_the_likely_one(tmp_path: Path) -> None:
    config = tmp_path / "push.toml"
    config.write_text(
        '[[feeds]]\nname = "x"\nadapter = "push"\n[feeds.options]\ntokn_env = "X_TOKEN"\n'
    )
    done = cityboard("serve", "--no-demo", "--port", "0", "--config", str(config))
    line = refusal(
        done, "feed 'x' (push)", "options.tokn_env: unknown setting (did you mean token_env?)"
    )
    assert "pydantic" not in line and "required" not in line


def test_a_typo_in_a_feed_table_names_the_setting_and_the_likely_one(tmp_path: Path) -> None:
    config = tmp_path / "usgs.toml"
    config.write_text('[[feeds]]\nname = "q"\nadapter = "usgs"\nintervl_seconds = 30\n')
    done = cityboard("serve", "--no-demo", "--port", "0", "--config", str(config))
    refusal(
        done,
        f"invalid settings in {config}",
        "feeds[0].intervl_seconds: unknown setting (did you mean interval_seconds?)",
    )


def test_feeds_check_with_bad_options_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "usgs.toml"
    config.write_text('[[feeds]]\nadapter = "usgs"\n[feeds.options]\nmin_magnitud = 4\n')
    document = tmp_path / "quakes.json"
    document.write_text('{"type": "FeatureCollection", "features": []}')
    done = cityboard("feeds", "check", "usgs", str(document), "--config", str(config))
    line = refusal(done, "options.min_magnitud: unknown setting (did you mean min_magnitude?)")
    assert "errors.pydantic.dev" not in line


def test_feeds_check_on_a_push_adapter_says_there_is_nothing_to_check(tmp_path: Path) -> None:
    document = tmp_path / "events.json"
    document.write_text("[]")
    done = cityboard("feeds", "check", "push", str(document))
    refusal(done, "'push' is not a polling adapter")
