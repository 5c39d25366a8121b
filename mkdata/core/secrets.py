"""Secrets come from the environment and never reach a log, a manifest, a store or an error
message: everything mkdata prints or stores about a failure goes through :func:`mask`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any

SECRET_ENV = ("OPENAI_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "MKDATA_API_KEY")
_SECRET_HINTS = ("token", "secret", "password", "api_key", "apikey", "authorization")
_PATTERNS = re.compile(
    r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{4,}|\bsk-[A-Za-z0-9_-]{8,}|\bhf_[A-Za-z0-9]{8,}"
)
MASK = "***"


def mask(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with the configured secrets (the environment's keys and ``extra``) and
    anything shaped like a key (``Bearer ...``, ``sk-...``, ``hf_...``) replaced by ``***``."""
    for value in [*(os.environ.get(v) for v in SECRET_ENV), *extra]:
        if value and len(value) >= 4:
            text = text.replace(value, MASK)
    return _PATTERNS.sub(MASK, text)


def mask_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the values of credential-like keys replaced by ``***``."""
    return {
        k: (MASK if any(h in k.lower() for h in _SECRET_HINTS) and v else v)
        for k, v in params.items()
    }
