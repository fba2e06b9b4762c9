"""The one exception a config that cannot be used raises."""

from __future__ import annotations

from collections.abc import Sequence


class ConfigError(Exception):
    """Raised by the loader when a config file cannot be used; `problems` lists each one.

    Nothing has been touched when it is raised: callers load the config before opening the
    database.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
