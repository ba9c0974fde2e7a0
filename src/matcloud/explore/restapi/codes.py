"""Codes exported as YAML, the file ``verdi code create --config`` reads back.

aiida writes it with PyYAML from the code's CLI model; the fields, in that order, are the label,
description, the shared switches and texts, then the class's own (the executable's path, the
computer's label, a container's engine command and image), and last the default calculation
plugin. PortableCode's ``filepath_files`` (where aiida would dump the code's files, a path on the
server) is left out. The scalar writer below quotes as PyYAML does for everything a code holds
in practice: plain when unambiguous, single quotes otherwise, double quotes for line breaks.
"""

from __future__ import annotations

import json
import re
from typing import Any

from matcloud.explore.restapi.context import Context
from matcloud.explore.restapi.errors import FeatureNotAvailable

_IMPLICIT = re.compile(
    r"""^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON
    |off|Off|OFF|[-+]?(?:\.[0-9]+|[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
    |[-+]?0[xob][0-9a-fA-F_]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|=|<<
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}.*)$""",
    re.VERBOSE,
)
_INDICATORS = set("#,[]{}&*!|>'\"%@`")


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if any(char in text for char in "\n\r\t") or not text.isprintable():
        return json.dumps(text)
    plain = (
        text
        and text == text.strip()
        and text[0] not in _INDICATORS
        and not (text[0] in "-?:" and (len(text) == 1 or text[1] == " "))
        and ": " not in text
        and " #" not in text
        and not text.endswith(":")
        and not _IMPLICIT.match(text)
    )
    return text if plain else "'" + text.replace("'", "''") + "'"


CLASSES: dict[str, tuple[str, ...]] = {
    "data.core.code.Code.": (),
    "data.core.code.installed.InstalledCode.": ("filepath_executable", "computer"),
    "data.core.code.containerized.ContainerizedCode.": (
        "filepath_executable", "computer", "engine_command", "image_name",
    ),
    "data.core.code.portable.PortableCode.": ("filepath_executable",),
}  # fmt: skip


def code_yaml(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    row = ctx.connection.execute(
        "SELECT n.node_type, n.label, n.description, n.attributes, c.label AS computer "
        "FROM db_dbnode AS n LEFT JOIN db_dbcomputer AS c ON c.id = n.dbcomputer_id "
        "WHERE n.id = ?",
        (pk,),
    ).fetchone()
    own = CLASSES.get(row["node_type"])
    if own is None:
        raise FeatureNotAvailable("The YAML export of this kind of code is not available here.")
    attributes = json.loads(row["attributes"] or "{}")
    fields: dict[str, Any] = {"label": row["label"], "description": row["description"]}
    for key in ("use_double_quotes", "with_mpi", "wrap_cmdline_params"):
        fields[key] = attributes.get(key, False if key != "with_mpi" else None)
    fields["prepend_text"] = attributes.get("prepend_text", "")
    fields["append_text"] = attributes.get("append_text", "")
    for key in own:
        fields[key] = row["computer"] if key == "computer" else attributes.get(key)
    fields["default_calc_job_plugin"] = attributes.get("input_plugin")
    lines = [f"{key}: {scalar(value)}" for key, value in fields.items() if value is not None]
    return ("\n".join(lines) + "\n").encode(), None
