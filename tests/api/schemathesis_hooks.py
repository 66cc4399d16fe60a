"""schemathesis hooks for ``test_schemathesis``: a well-behaved client's keys.

Generated cases reuse the same few Idempotency-Key values ("0", "") with
different bodies, which the API answers 422 by design (a key names one
request). A real client sends a fresh key per request, so every schema-valid
key is replaced by a fresh UUID before the call; invalid ones (missing,
empty, too long) are kept for the negative checks.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and 0 < len(key) <= 200:
        headers["Idempotency-Key"] = str(uuid.uuid4())
