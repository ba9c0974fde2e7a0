"""The panels of processes and of the things around them: a process's state and call tree, a
CalcJob's scheduler, options and files, a code, a remote folder (see ``views_types``)."""

from __future__ import annotations

import sqlite3
from typing import Any

from matcloud.explore.nodes import ArchiveNodes, brief, loads
from matcloud.explore.views_files import file_tree
from matcloud.explore.views_values import flatten

Panel = dict[str, Any]
#: Attributes of a CalcJob that are its state, not the options it was run with.
PROCESS_KEYS = {
    "process_state", "process_status", "process_label", "exit_status", "exit_message",
    "exception", "sealed", "stepper_state_info", "version", "metadata_inputs", "checkpoints",
    "paused", "job_id", "scheduler_state", "scheduler_lastchecktime", "last_job_info",
    "remote_workdir", "detailed_job_info",
}  # fmt: skip


def process_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    caller = nodes.caller(row["id"])
    return {
        "kind": "process",
        "process_label": attributes.get("process_label"),
        "process_type": row["process_type"],
        "state": attributes.get("process_state"),
        "status": attributes.get("process_status"),
        "exit_status": attributes.get("exit_status"),
        "exit_message": attributes.get("exit_message"),
        "exception": str(attributes.get("exception") or "")[:20_000] or None,
        "sealed": attributes.get("sealed"),
        "caller": brief(caller, nodes.archive_id) if caller else None,
        "call_tree": nodes.call_tree(row["id"]),
    }


def calcjob_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    retrieved = nodes.output(row["id"], "retrieved")
    remote = nodes.output(row["id"], "remote_folder")
    options = {k: v for k, v in attributes.items() if k not in PROCESS_KEYS}
    return {
        "kind": "calcjob",
        "scheduler": {
            "job_id": attributes.get("job_id"),
            "scheduler_state": attributes.get("scheduler_state"),
            "scheduler_lastchecktime": attributes.get("scheduler_lastchecktime"),
            "remote_workdir": attributes.get("remote_workdir"),
        },
        "computer": nodes.computer(row["dbcomputer_id"]),
        "options": flatten(options, limit=200),
        "retrieved": {
            **brief(retrieved, nodes.archive_id),
            "files": file_tree(nodes, retrieved["uuid"], loads(retrieved["repository_metadata"])),
        }
        if retrieved
        else None,
        "remote": brief(remote, nodes.archive_id) if remote else None,
    }


def code_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    return {
        "kind": "code",
        "executable": attributes.get("filepath_executable") or attributes.get("remote_exec_path"),
        "input_plugin": attributes.get("input_plugin"),
        "with_mpi": attributes.get("with_mpi"),
        "prepend_text": str(attributes.get("prepend_text") or ""),
        "append_text": str(attributes.get("append_text") or ""),
        "computer": nodes.computer(row["dbcomputer_id"]),
        "portable": "portable" in row["node_type"],
    }


def remote_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    creator = nodes.creator(row["id"])
    return {
        "kind": "remote",
        "remote_path": attributes.get("remote_path"),
        "computer": nodes.computer(row["dbcomputer_id"]),
        "creator": brief(creator, nodes.archive_id) if creator else None,
    }


__all__ = ["calcjob_panel", "code_panel", "process_panel", "remote_panel"]
