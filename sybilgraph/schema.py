"""Column names and types of the data contract (DESIGN.md section 3).

One place names every standard column, so that loaders, signals and exports agree on spelling.
"""

from __future__ import annotations

from typing import Final

import polars as pl

ACCOUNT_ID: Final = "account_id"
TIMESTAMP: Final = "timestamp"
ORG_ID: Final = "org_id"

#: Standard signal columns of the events form, in the order they are reported.
EVENT_SIGNALS: Final[tuple[str, ...]] = (
    "ip",
    "payment_fingerprint",
    "prompt_fingerprint",
    "system_prompt_hash",
    "user_agent",
    "device_id",
)
EVENT_COLUMNS: Final[tuple[str, ...]] = (ACCOUNT_ID, TIMESTAMP, ORG_ID, *EVENT_SIGNALS)

CREATED_AT: Final = "created_at"
EMAIL: Final = "email"
SIGNUP_IP: Final = "signup_ip"
COUNTRY: Final = "country"
#: Standard signal columns of the accounts form.
ACCOUNT_SIGNALS: Final[tuple[str, ...]] = ("email", "payment_fingerprint", "signup_ip")
ACCOUNT_COLUMNS: Final[tuple[str, ...]] = (
    ACCOUNT_ID,
    CREATED_AT,
    ORG_ID,
    EMAIL,
    "payment_fingerprint",
    SIGNUP_IP,
    COUNTRY,
)

SIGNAL_TYPE: Final = "signal_type"
SIGNAL_VALUE: Final = "signal_value"
COUNT: Final = "count"
FIRST_SEEN: Final = "first_seen"
LAST_SEEN: Final = "last_seen"
EDGE_COLUMNS: Final[tuple[str, ...]] = (
    ACCOUNT_ID,
    SIGNAL_TYPE,
    SIGNAL_VALUE,
    COUNT,
    FIRST_SEEN,
    LAST_SEEN,
)

OPERATION_ID: Final = "operation_id"
KIND: Final = "kind"
TRUTH_COLUMNS: Final[tuple[str, ...]] = (ACCOUNT_ID, OPERATION_ID, KIND)

#: Columns holding IP addresses, validated as IPv4/IPv6 by the loaders.
IP_COLUMNS: Final[frozenset[str]] = frozenset({"ip", SIGNUP_IP})

#: The canonical in-memory type of a timestamp after loading.
DATETIME: Final = pl.Datetime("us", "UTC")
