"""Settings shared by every command of the CLI."""

from typing import Any

#: ``-h`` and ``--help`` on every command, whether it is run through the group or on its own.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
