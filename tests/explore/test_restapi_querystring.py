"""The query-string parser against aiida-core's own (pyparsing), string by string.

aiida's parser runs in ``.venv-aiida`` (one subprocess for all strings); both sides are reduced
to the same plain JSON: the parameters, the filters (a date-time equality as its range), or
the error's message.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from typing import Any

import pytest

from explore.aiida_oracle import AIIDA_PYTHON
from matcloud.explore.restapi import params, querystring
from matcloud.explore.restapi.errors import RestError

CASES = [
    "", "id=3", "id>50&orderby=-id", 'node_type="data.core.int.Int."',
    "node_type=data.core.int.Int.",
    'uuid=like="4a16%"', "id=in=1,2,3", "ctime>=2026-11-25T18:56:45", "ctime=2026-11-25",
    "perpage=5", "id=1&&", "&id=1", "id=1&_=12345", 'id="1"', "id=1.5", "id=in=1,2&id=in=2,3",
    "ctime=2026-11-25T18:56:44+01:00", "ctime=2026-11-25T18:56:44:33", "ctime=2026-13-45",
    "filename=.aiida", "attributes=true&attributes_filter=pbc1,cell", 'label="a""b"',
    'label="a\\tb\\x41\\u00e9"', 'label="a\\x41\\x12\\13\\0\\ua4\\101\\qb"', 'id = 3 & label = "x"',
    "id=3abc", "id=trueish", "x=1e5", "x=-1.5e-3", "x=.5", "x=+3", "orderby=+id,-ctime,", "x=1,",
    "ctime=2026-11-25T18", "ctime=2026-11-25+01", "ctime=2026-11-25-01", 'label="unterminated',
    "label=ÄÖÜ&x", "&&", "limit=1&limit=2", "perpage=abc", "x=<3", "id=notin=1,2",
    'label=ilike="%AB%"', "a=1&b", "=3", "orderby<id", 'full_type="a|b"&download=false',
    "in_limit=2&out_limit=1", 'label="x"&label=like="y%"', "x=1\t&y=2", "x=٣", "x=1\ny",
]  # fmt: skip

_AIIDA_SIDE = r"""
import json, sys
from aiida.common.utils import DatetimePrecision
from aiida.restapi.common.utils import Utils
utils = Utils(PREFIX="/api/v4", PERPAGE_DEFAULT=20, LIMIT_DEFAULT=400)
def plain(value):
    if isinstance(value, DatetimePrecision):
        return ["datetime", value.dtobj.isoformat(), value.precision]
    if hasattr(value, "isoformat"):
        return ["datetime", value.isoformat()]
    raise TypeError(value)
out = []
for case in json.load(sys.stdin):
    try:
        out.append(["ok", json.loads(json.dumps(utils.parse_query_string(case), default=plain))])
    except Exception as exc:
        out.append(["error", str(exc)])
print(json.dumps(out))
"""

_NAMES = (
    "limit", "offset", "perpage", "orderby", "filters", "download_format", "download", "filename",
    "tree_in_limit", "tree_out_limit", "attributes", "attributes_filter", "extras",
    "extras_filter", "full_type", "profile",
)  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, querystring.DateValue):
        return ["datetime", value.value.isoformat(), value.precision]
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _filters(conditions: list[params.Condition]) -> Any:
    """Our conditions in aiida's filter shape (a day as ``{"and": [>=, <]}``)."""
    shaped: list[Any] = []
    index = 0
    while index < len(conditions):
        first = conditions[index]
        following = conditions[index + 1] if index + 1 < len(conditions) else None
        if (
            isinstance(first.value, querystring.DateValue)
            and first.operator == ">="
            and following is not None
            and following.operator == "<"
            and isinstance(following.value, querystring.DateValue)
        ):
            low, high = first.value.value.isoformat(), following.value.value.isoformat()
            shaped.append({"and": [{">=": ["datetime", low]}, {"<": ["datetime", high]}]})
            index += 2
            continue
        shaped.append({first.operator: _plain(first.value)})
        index += 1
    return shaped[0] if len(shaped) == 1 else {"and": shaped}


def ours(case: str) -> list[Any]:
    try:
        built = params.build(querystring.parse(case))
    except RestError as error:
        return ["error", error.message]
    values = {name: getattr(built, name) for name in _NAMES}
    values["filters"] = {key: _filters(items) for key, items in built.filters.items()}
    return ["ok", [_plain(values[name]) for name in _NAMES]]


@pytest.fixture(scope="module")
def aiida_answers() -> list[Any]:
    if not AIIDA_PYTHON.exists():
        pytest.skip("aiida-core's venv is not built: run `make aiida-venv`")
    with tempfile.TemporaryDirectory() as aiida_path:  # aiida makes its config folder on import
        os.mkdir(os.path.join(aiida_path, ".aiida"))
        result = subprocess.run(
            [str(AIIDA_PYTHON), "-c", _AIIDA_SIDE],
            input=json.dumps(CASES),
            capture_output=True,
            text=True,
            env={**os.environ, "AIIDA_PATH": aiida_path},
            timeout=120,
            check=True,
        )
    answers: list[Any] = json.loads(result.stdout)
    return answers


@pytest.mark.parametrize("index", range(len(CASES)), ids=[repr(case) for case in CASES])
def test_same_parse_as_aiida(aiida_answers: list[Any], index: int) -> None:
    assert ours(CASES[index]) == aiida_answers[index]
