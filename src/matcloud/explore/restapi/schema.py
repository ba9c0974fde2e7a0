"""``/<resource>/projectable_properties``: the columns a client may show, per resource, with
the display names and help texts aiida-core gives them (they are part of its API)."""

from __future__ import annotations

from typing import Any


def _field(display: str, help_text: str, kind: str, shown: bool, **extra: Any) -> dict[str, Any]:
    return {
        "display_name": display,
        "help_text": help_text,
        "is_foreign_key": bool(extra.pop("foreign", False)),
        "type": kind,
        "is_display": shown,
        **extra,
    }


_UUID = _field("Unique ID", "Universally Unique Identifier", "unicode", True)
_CREATOR = _field("Creator", "User that created the node", "str", True)
_CTIME = _field("Creation time", "Creation time of the node", "datetime.datetime", True)
_MTIME = _field("Last Modification time", "Last modification time", "datetime.datetime", True)


def _user_id(resource: str) -> dict[str, Any]:
    return _field(
        "Id of creator", "Id of the user that created the node", "int", False,
        foreign=True, related_column="id", related_resource=resource,
    )  # fmt: skip


NODES = (
    {
        "creator": _CREATOR,
        "ctime": _CTIME,
        "label": _field("Label", "User-assigned label", "str", False),
        "mtime": _MTIME,
        "node_type": _field("Type", "Node type", "str", True),
        "process_type": _field("Process type", "Process type", "str", False),
        "user_id": _user_id("users"),
        "uuid": _UUID,
    },
    ["uuid", "label", "node_type", "ctime", "mtime", "creator"],
)
PROCESSES = (
    {
        "attributes.process_label": _field("Name", "Process label attribute", "str", True),
        "attributes.process_state": _field("Process state", "Process state attribute", "str", True),
        "creator": _CREATOR,
        "ctime": _CTIME,
        "mtime": _MTIME,
        "process_type": _field("Process type", "Process type", "str", False),
        "user_id": _user_id("_dbusers"),
        "uuid": _UUID,
    },
    ["uuid", "attributes.process_label", "ctime", "mtime", "creator", "attributes.process_state"],
)
USERS = (
    {
        "id": _field("Id", "Id of the object", "int", True),
        "first_name": _field("First name", "First name of the user", "str", True),
        "institution": _field("Institution", "Affiliation of the user", "str", True),
        "last_name": _field("Last name", "Last name of the user", "str", True),
    },
    ["id", "first_name", "last_name", "institution"],
)
GROUPS = (
    {
        "description": _field("Description", "Short description of the group", "str", False),
        "id": _field("Id", "Id of the object", "int", False),
        "label": _field("Label", "Name of the object", "str", True),
        "type_string": _field("Type_string", "Type of the group", "str", True),
        "user_id": _user_id("users"),
        "uuid": _field("Unique ID", "Universally Unique Identifier", "unicode", False),
    },
    ["id", "label", "type_string", "description", "user_id", "uuid"],
)
#: aiida lists, for schedulers and transports, the plugins installed with it and their
#: docstrings; this server runs none, so it names aiida-core's own plugins only.
_SCHEDULERS = ("core.direct", "core.lsf", "core.pbspro", "core.sge", "core.slurm", "core.torque")
_TRANSPORTS = ("core.local", "core.ssh", "core.ssh_async")
COMPUTERS = (
    {
        "description": _field("Description", "short description of the Computer", "str", False),
        "hostname": _field("Host", "Name of the host", "str", True),
        "id": _field("Id", "Id of the object", "int", False),
        "label": _field("Label", "Label of the computer", "str", True),
        "scheduler_type": _field(
            "Scheduler", "Scheduler type", "str", True,
            valid_choices={name: {"doc": ""} for name in _SCHEDULERS},
        ),
        "transport_type": _field(
            "Transport type", "Transport Type", "str", False,
            valid_choices={name: {"doc": ""} for name in _TRANSPORTS},
        ),
        "uuid": _UUID,
    },
    ["uuid", "label", "hostname", "description", "scheduler_type", "transport_type"],
)  # fmt: skip

PROJECTABLE: dict[str, tuple[dict[str, Any], list[str]]] = {
    "nodes": NODES,
    "processes": PROCESSES,
    "users": USERS,
    "groups": GROUPS,
    "computers": COMPUTERS,
}


def projectable(resource: str) -> dict[str, Any]:
    fields, ordering = PROJECTABLE[resource]
    return {"fields": fields, "ordering": ordering}
