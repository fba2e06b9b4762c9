"""rolewatch configuration: the YAML file's typed model and its loader."""

from config.loader import ConfigError, load_config, parse_config
from config.schema import Config, Recipient, SourceConfig, WatchRule

__all__ = [
    "Config",
    "ConfigError",
    "Recipient",
    "SourceConfig",
    "WatchRule",
    "load_config",
    "parse_config",
]
