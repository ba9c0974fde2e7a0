"""A JSON response rendered by :mod:`matcloud.core.jsoncodec` (orjson) instead of ``json``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from matcloud.core import jsoncodec


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return jsoncodec.dumps_bytes(content)


__all__ = ["FastJSONResponse"]
