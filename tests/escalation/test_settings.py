"""The [escalation] table: policies and notifiers read from a real TOML file, mistakes named."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.errors import ConfigError
from server.settings import load_settings

GOOD = """
[escalation.notifiers.bot]
plugin = "webhook"
options = { url = "https://bot.example.org/hook", secret_env = "BOT_SECRET" }

[[escalation.policies]]
name = "extreme-disasters"
severities = ["extreme"]
kinds = ["disaster"]
districts = ["11110"]
steps = [
  { after_minutes = 2, to = "district_officer" },
  { after_minutes = 5, to = "department_manager" },
  { after_minutes = 10, to = "duty_director" },
  { after_minutes = 0, to = "notifier:bot" },
]
"""


def test_a_policy_file_is_read_with_its_steps_and_notifiers(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(GOOD)
    s = load_settings(config).escalation
    [policy] = s.policies
    assert [step.to for step in policy.steps][-1] == "notifier:bot"
    assert policy.steps[0].after_minutes == 2.0
    assert s.notifiers["bot"].options["secret_env"] == "BOT_SECRET"
    assert s.policies_for("disaster", "extreme", "disaster.flood", "11110") == [policy]
    assert s.policies_for("disaster", "extreme", "disaster.flood", "11140") == []
    assert s.policies_for("traffic", "extreme", "traffic.closure", "11110") == []
    assert s.policies_for_situation("extreme", ["11110"]) == [], "kinds name no situation"
    assert load_settings().escalation.policies == [], "no policies: no escalation by default"


def test_a_policy_for_situations_matches_their_severity_and_any_of_their_districts(
    tmp_path: Path,
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(GOOD.replace('kinds = ["disaster"]', 'kinds = ["disaster", "situation"]'))
    s = load_settings(config).escalation
    [policy] = s.policies
    assert s.policies_for_situation("extreme", ["11140", "11110"]) == [policy]
    assert s.policies_for_situation("extreme", ["11140"]) == []
    assert s.policies_for_situation("severe", ["11110"]) == []
    assert s.policies_for("disaster", "extreme", "disaster.flood", "11110") == [policy]
    assert s.policies_for("situation", "extreme", "", "11110") == [], "no event is a situation"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (('to = "duty_director"', 'to = "mayor"'), "escalation.policies[0].steps[2].to"),
        (('to = "notifier:bot"', 'to = "notifier:sms"'), "not configured: sms"),
        (('kinds = ["disaster"]', 'kinds = ["weather"]'), "escalation.policies[0].kinds[0]"),
        (('kinds = ["disaster"]', 'kinds = ["camera"]'), "camera is reference data"),
        (("after_minutes = 5", "after_minutes = -5"), "after_minutes"),
        (('districts = ["11110"]', 'categories = ["disaster.meteor"]'), "disaster.meteor"),
        (('name = "extreme-disasters"', 'nmae = "x"'), "did you mean name?"),
        (
            ('kinds = ["disaster"]', 'kinds = ["situation"]\ncategories = ["disaster.flood"]'),
            "categories do not apply to situations",
        ),
    ],
)
def test_mistakes_in_a_policy_are_named_in_one_line(
    tmp_path: Path, change: tuple[str, str], fragment: str
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(GOOD.replace(*change))
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert fragment in caught.value.message and "\n" not in caught.value.message
