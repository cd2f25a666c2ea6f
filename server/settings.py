"""All of cityboard's settings in one model: defaults, then a TOML file, then `CITYBOARD_` env.

Every limit is a named setting with its unit in the name, so an operator can see and change it.
`config.example.toml` lists each one with its default and why.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from feeds.kit.base import FeedConfig
from server.cameras.registry import MAX_CAMERA_RADIUS_M, MAX_CAMERAS_PER_INCIDENT
from server.errors import ConfigError
from server.escalation.settings import EscalationSettings
from server.public.settings import PublicSettings
from server.situations.settings import SituationSettings
from server.stream.events import MAX_CAMERA_REFRESH_SECONDS, MIN_CAMERA_REFRESH_SECONDS

KIB = 1024
MIB = 1024 * KIB
ORIGIN_PATTERN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def _origin(value: str) -> str:
    """An origin goes into the Content-Security-Policy as it is: nothing else may ride along."""
    if not ORIGIN_PATTERN.match(value):
        raise ValueError(f"{value!r} is not an origin such as https://kiosk.example.org")
    return value


Origin = Annotated[str, AfterValidator(_origin)]


class CameraSettings(BaseModel):
    """The `[cameras]` table: which cameras an incident's panel shows, and where their media may
    come from (the board's Content-Security-Policy names these origins; docs/cameras.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    radius_m: float = Field(default=500.0, gt=0, le=MAX_CAMERA_RADIUS_M)
    max_per_incident: int = Field(default=4, ge=1, le=MAX_CAMERAS_PER_INCIDENT)
    snapshot_refresh_seconds: float = Field(
        default=5.0, ge=MIN_CAMERA_REFRESH_SECONDS, le=MAX_CAMERA_REFRESH_SECONDS
    )
    media_origins: list[Origin] = Field(default_factory=list)


class Settings(BaseSettings):
    """The server's configuration; see config.example.toml for the reason behind each default."""

    model_config = SettingsConfigDict(env_prefix="CITYBOARD_", extra="forbid", frozen=True)

    # where it listens and what city it is
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    city_name: str = "Seoul"
    city_names: dict[str, str] = Field(default_factory=lambda: {"ko": "서울", "en": "Seoul"})
    city_timezone: str = "Asia/Seoul"
    districts_path: Path | None = None

    # the durable log, and how long it keeps entries (0 = forever)
    db_path: Path = Path("var/cityboard.db")
    retention_days: float = Field(default=0.0, ge=0)
    retention_max_entries: int = Field(default=0, ge=0)
    retention_check_seconds: float = Field(default=3600.0, gt=0)
    log_busy_timeout_seconds: float = Field(default=5.0, gt=0)
    # several nodes serving one city share the log on Redis Streams (docs/scale-out.md)
    log_backend: Literal["sqlite", "redis"] = "sqlite"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = Field(default="cityboard", pattern=r"^[A-Za-z0-9_.:-]{1,100}$")
    node_role: Literal["all-in-one", "ingest", "edge"] = "all-in-one"

    # the bundled demo stream
    demo: bool = True
    demo_speed: float = Field(default=1.0, gt=0, le=3600)

    # push ingest
    push_token: SecretStr | None = None
    push_max_body_bytes: int = Field(default=1 * MIB, ge=1 * KIB)
    push_max_events: int = Field(default=1000, ge=1)

    # websocket
    allowed_origins: list[str] = Field(default_factory=list)
    ws_max_message_bytes: int = Field(default=64 * KIB, ge=1 * KIB)
    ws_messages_per_second: float = Field(default=20.0, gt=0)
    ws_message_burst: int = Field(default=40, ge=1)
    ws_max_errors: int = Field(default=5, ge=1)
    ws_heartbeat_seconds: float = Field(default=15.0, gt=0)
    ws_client_buffer_bytes: int = Field(default=4 * MIB, ge=64 * KIB)
    ws_slow_close_seconds: float = Field(default=5.0, gt=0)
    memory_trim_delay_seconds: float = Field(default=1.0, ge=0)
    resume_max_entries: int = Field(default=10_000, ge=1)
    snapshot_max_events: int = Field(default=10_000, ge=1)
    batch_max_entries: int = Field(default=500, ge=1)
    ws_coalesce_seconds: float = Field(default=0.02, ge=0, le=1.0)
    feeds_broadcast_seconds: float = Field(default=5.0, gt=0)
    # at most one `situations` message per stream this often (docs/situations.md)
    situations_push_seconds: float = Field(default=0.5, ge=0, le=60)

    # situations and complaint clusters: the [situations] table (docs/situations.md)
    situations: SituationSettings = Field(default_factory=SituationSettings)

    # the citizens' board: what the `public` stream shows (the [public] table, docs/public.md),
    # and an optional port of its own that serves only it (none: only /public on `port`)
    public: PublicSettings = Field(default_factory=PublicSettings)
    public_host: str = "127.0.0.1"
    public_port: int | None = Field(default=None, ge=0, le=65535)

    # HTTP API
    api_max_limit: int = Field(default=1000, ge=1)
    # HTTP connections: how many at once, and how long a client may keep one without progress
    http_max_connections: int = Field(default=512, ge=2)
    http_idle_seconds: float = Field(default=30.0, gt=0)
    http_body_read_seconds: float = Field(default=30.0, gt=0)
    http_linger_seconds: float = Field(default=5.0, ge=0)
    # the board's page: who may frame it (none: no other site can), where map tiles may come from
    frame_ancestors: list[Origin] = Field(default_factory=list)
    tile_origins: list[Origin] = Field(default_factory=list)

    # officer directory and calls (docs/officers.md)
    officers_db_path: Path | None = None
    admin_token: SecretStr | None = None
    operator_token: SecretStr | None = None
    officers_import_max_bytes: int = Field(default=4 * MIB, ge=1 * KIB)
    on_duty_lookahead_days: int = Field(default=14, ge=1, le=366)
    dialer: str = "tel"
    dialer_options: dict[str, Any] = Field(default_factory=dict)
    call_no_answer_seconds: float = Field(default=45.0, gt=0)
    call_max_seconds: float = Field(default=3600.0, gt=0)
    sip_control_host: str = "127.0.0.1"
    sip_control_port: int = Field(default=4444, ge=1, le=65535)
    sip_control_timeout_seconds: float = Field(default=5.0, gt=0)
    # live CCTV beside incidents: the [cameras] table (docs/cameras.md)
    cameras: CameraSettings = Field(default_factory=CameraSettings)
    # escalation of unacknowledged events: policies and notifiers (docs/escalation.md)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)

    # recordings and replays
    recordings_dir: Path = Path("var/recordings")
    replay_max_upload_bytes: int = Field(default=2 * 1024 * MIB, ge=1 * KIB)
    replay_upload_idle_seconds: float = Field(default=60.0, gt=0)
    max_replays: int = Field(default=4, ge=1)

    # feeds: each a [[feeds]] table (see config.example.toml and docs/adapters.md)
    feeds: list[FeedConfig] = Field(default_factory=list)

    @field_validator("feeds")
    @classmethod
    def _unique_feed_names(cls, v: list[FeedConfig]) -> list[FeedConfig]:
        names = [f.name for f in v]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"feed names must be unique; repeated: {', '.join(dupes)}")
        return v

    @field_validator("public_port")
    @classmethod
    def _own_port(cls, v: int | None, info: ValidationInfo) -> int | None:
        """The public board's own port cannot be the operators' (it would only fail to bind)."""
        if v and v == info.data.get("port"):
            raise ValueError(
                f"{v} is the board's own port; pick another, or leave it out and open /public"
                " on the board's port"
            )
        return v

    @field_validator("city_timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name like 'Asia/Seoul')"
            ) from None
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Command-line flags beat the environment, which beats the file (passed as init values)."""
        return (init_settings, env_settings, file_secret_settings)


SECRET_FIELDS = ("push_token", "admin_token", "operator_token")  # environment only, never a file

# A file's values are checked strictly first: TOML has real numbers and booleans, so "8080" or
# "yes" there is a mistake to point out, not to guess at (the environment is text by nature).
_FIELDS: dict[str, Any] = {name: (f.annotation, f) for name, f in Settings.model_fields.items()}
FileValues = create_model("FileValues", __config__=ConfigDict(extra="forbid"), **_FIELDS)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from an optional TOML file, the environment and explicit overrides.

    Flags given on the command line (`overrides`) win over the environment, which wins over the
    file. Errors name the file and the setting.
    """
    file_values: dict[str, Any] = {}
    if config_file is not None:
        try:
            file_values = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {config_file} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {config_file} is not valid TOML: {exc}") from None
        secrets_in_file = [name for name in SECRET_FIELDS if name in file_values]
        if secrets_in_file:
            raise ConfigError(
                f"config file {config_file} sets {', '.join(secrets_in_file)}: secrets are read"
                " only from the environment (CITYBOARD_"
                + ", CITYBOARD_".join(n.upper() for n in secrets_in_file)
                + "), so a config file can be shared and committed safely"
            )
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        FileValues.model_validate_json(orjson.dumps(file_values), strict=True)
        from_env = Settings()  # defaults plus the environment; fields_set says which came from env
        env_set = {k: getattr(from_env, k) for k in from_env.model_fields_set}
        return Settings(**{**file_values, **env_set, **given})
    except ValidationError as exc:
        where = f" in {config_file}" if config_file else ""
        raise ConfigError(f"invalid settings{where}: {config_problems(exc, Settings)}") from None


def config_problems(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> str:
    """A validation error as one line, `field: problem; …`, without pydantic's dump and links, so
    a typo in a config file reads as one; a misspelt setting gets the likely name."""
    errors = exc.errors(include_url=False)
    lines: list[str] = []
    suggested: set[tuple[int | str, ...]] = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            *parent, name = error["loc"]
            close = difflib.get_close_matches(str(name), _fields_at(model, parent), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            suggested.update((*parent, c) for c in close)
            lines.append(f"{_where(prefix, error['loc'])}: unknown setting{hint}")
    for error in errors:
        if error["type"] == "missing" and tuple(error["loc"]) not in suggested:
            lines.append(f"{_where(prefix, error['loc'])}: required")
        elif error["type"] not in ("missing", "extra_forbidden"):
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{_where(prefix, error['loc'])}: {message}")
    return "; ".join(lines)


def _where(prefix: str, loc: Sequence[int | str]) -> str:
    """`feeds[0].interval_seconds`: a field's place as it is written in the config file."""
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "settings"


def _fields_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The setting names allowed where `loc` points, to suggest one for a typo."""
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        kinds = get_args(field.annotation) or (field.annotation,)
        models = [t for t in kinds if isinstance(t, type) and issubclass(t, BaseModel)]
        if not models:
            return []
        model = models[0]
    return list(model.model_fields)
