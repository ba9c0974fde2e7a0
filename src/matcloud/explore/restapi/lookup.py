"""Finding one entity from the id in a URL: a uuid or a uuid prefix, as aiida-core resolves it.

The dashes of the id are moved to a uuid's places (``4a16-a47f`` means ``4a16a47f``); a whole
uuid is compared for equality, a prefix selects the uuids starting with it (case-sensitively,
as aiida's SQLite storage compares), and must select exactly one. Both are range lookups on
the uuid index: ``LIMIT 2`` is all it takes to know "one" from "more than one".
"""

from __future__ import annotations

import sqlite3
import uuid as uuidlib

from matcloud.explore.restapi.errors import InputValidationError
from matcloud.explore.restapi.sql import like_to_glob

MULTIPLE = "More than one node found. Provide longer starting pattern for id."


def canonical(identifier: str) -> str:
    """The identifier with its dashes where a uuid has them."""
    bare = identifier.replace("-", "")
    for position in (20, 16, 12, 8):
        if len(bare) > position:
            bare = f"{bare[:position]}-{bare[position:]}"
    return bare


def uuid_ids(connection: sqlite3.Connection, table: str, identifier: str) -> list[int]:
    """The ids (at most two) of the rows of ``table`` whose uuid is, or starts with, the id."""
    value = canonical(identifier)
    try:
        uuidlib.UUID(value)
    except ValueError:
        pass
    else:
        rows = connection.execute(f"SELECT id FROM {table} WHERE uuid = ? LIMIT 2", (value,))
        return [row[0] for row in rows]
    if value and all(char in "0123456789abcdefABCDEF-" for char in value):
        upper = value[:-1] + chr(ord(value[-1]) + 1)
        rows = connection.execute(
            f"SELECT id FROM {table} WHERE uuid >= ? AND uuid < ? LIMIT 2", (value, upper)
        )
    else:  # odd characters (``_``, ``{``): aiida's LIKE treats them as it does, so do we
        rows = connection.execute(
            f"SELECT id FROM {table} WHERE uuid GLOB ? LIMIT 2", (like_to_glob(value + "%"),)
        )
    return [row[0] for row in rows]


def resolve_uuid(
    connection: sqlite3.Connection, table: str, identifier: str, type_name: str
) -> int:
    """The id of the one row the uuid (prefix) names; aiida's 404 messages otherwise."""
    ids = uuid_ids(connection, table, identifier)
    if not ids:
        raise InputValidationError(
            f"either no object's id starts with '{identifier}' or the corresponding object is "
            f"not of type aiida.orm.{type_name}"
        )
    if len(ids) > 1:
        raise InputValidationError(MULTIPLE)
    return ids[0]


def load_node(connection: sqlite3.Connection, identifier: str) -> int:
    """aiida's ``load_node(identifier)`` as the process endpoints use it: an integer is a pk,
    anything else a uuid (prefix). aiida answers a miss with a 500; this is a 404."""
    try:
        pk = int(identifier)
    except ValueError:
        ids = uuid_ids(connection, "db_dbnode", identifier)
        if not ids:
            raise InputValidationError(
                f"no Node found with UUID<{identifier}>: No result was found"
            ) from None
        if len(ids) > 1:
            raise InputValidationError(
                f"multiple Node entries found with UUID<{identifier}>"
            ) from None
        return ids[0]
    row = connection.execute("SELECT id FROM db_dbnode WHERE id = ?", (pk,)).fetchone()
    if row is None:
        raise InputValidationError(f"no Node found with ID<{pk}>: No result was found")
    return int(row[0])
