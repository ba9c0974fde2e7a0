"""Node "full types" (``node_type|process_type``): the filter they stand for, and the namespace
tree of ``/nodes/full_types`` and ``/nodes/full_types_count``.

A full type may end either half with ``%`` ("starts with"); a bare ``%`` process type means
"any". The tree groups the distinct (node_type, process_type) pairs of the archive by their
dotted names; process types with an entry point (``aiida.calculations:quantumespresso.pw``)
sit under their plugin name, the others under ``~no-entry-point~`` (labelled "Unregistered").
Each inner namespace gets the full type that selects everything below it; the counting
variant adds ``counter`` (nodes per leaf, summed upwards).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matcloud.explore.restapi.errors import QueryError
from matcloud.explore.restapi.params import Condition

NO_ENTRY_POINT = "~no-entry-point~"
#: Entry-point groups aiida-core knows: ``group:name`` with one of these is an entry point.
ENTRY_POINT_GROUPS = frozenset(
    {
        "aiida.calculations", "aiida.calculations.importers", "aiida.calculations.monitors",
        "aiida.cmdline.computer.configure", "aiida.cmdline.data",
        "aiida.cmdline.data.structure.import", "aiida.data", "aiida.groups", "aiida.orm",
        "aiida.node", "aiida.parsers", "aiida.schedulers", "aiida.storage", "aiida.transports",
        "aiida.tools.calculations", "aiida.tools.workflows", "aiida.tools.data.orbitals",
        "aiida.tools.dbexporters", "aiida.tools.dbimporters", "aiida.workflows",
    }
)  # fmt: skip
_LABELS = {
    "node.data": "Data",
    "node.process": "Process",
    "node.process.calculation": "Calculation",
    "node.process.calculation.calcjob": "Calculation job",
    "node.process.calculation.calcfunction": "Calculation function",
    "node.process.workflow": "Workflow",
    "node.process.workflow.workchain": "Work chain",
    "node.process.workflow.workfunction": "Work function",
}
# Inner process namespaces: the node class is fixed, the process type a plugin prefix.
_PROCESS_NODES = {
    f"process.{kind}.": (f"process.{kind}.{node_class}.", group)
    for kind, node_class, group in (
        ("calculation.calcjob", "CalcJobNode", "aiida.calculations:"),
        ("calculation.calcfunction", "CalcFunctionNode", "aiida.calculations:"),
        ("workflow.workfunction", "WorkFunctionNode", "aiida.workflows:"),
        ("workflow.workchain", "WorkChainNode", "aiida.workflows:"),
    )
}


def conditions(full_type: object) -> dict[str, list[Condition]]:
    """The node_type/process_type filters a full type stands for (aiida's messages if bad)."""
    if not isinstance(full_type, str):
        raise QueryError(f"full type `{full_type}` is not a string.")
    if "|" not in full_type:
        raise QueryError(
            f"full type `{full_type}` does not include the required concatenator symbol `|`."
        )
    if full_type.count("|") > 1:
        raise QueryError(
            f"full type `{full_type}` includes the concatenator symbol `|` more than once."
        )
    node_type, process_type = full_type.split("|")
    for part in (node_type, process_type):
        if part.count("%") > 1:
            raise QueryError(
                f"full type component `{part}` contained more than one like-operator character"
            )
        if "%" in part and part[-1] != "%":
            raise QueryError(
                f"like-operator character in full type component `{part}` is not at the end"
            )
    out: dict[str, list[Condition]] = {}
    if node_type.endswith("%"):
        out["node_type"] = [Condition("like", _escape_like(node_type[:-1]) + "%")]
    else:
        out["node_type"] = [Condition("==", node_type)]
    if process_type.endswith("%"):
        if process_type[:-1]:
            out["process_type"] = [Condition("like", _escape_like(process_type[:-1]) + "%")]
    elif process_type:
        out["process_type"] = [Condition("==", process_type)]
    else:
        out["process_type"] = [Condition("empty", "")]
    return out


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class Namespace:
    name: str
    path: str
    label: str
    full_type: str | None
    counter: int | None = None
    leaf: bool = True
    children: dict[str, Namespace] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        subspaces = [child.describe() for child in self.children.values()]
        counter = self.counter
        for sub in subspaces:
            if "counter" in sub:
                counter = (counter or 0) + sub["counter"]
        out: dict[str, Any] = {
            "namespace": self.name,
            "full_type": self.full_type,
            "label": self.label,
            "path": self.path,
            "subspaces": subspaces,
        }
        if counter is not None:
            out["counter"] = counter
        return out


def _inner_full_type(path: str) -> str:
    """The full type selecting everything under an inner namespace at ``path``."""
    dotted = path.removeprefix("node.")
    if dotted.startswith("process."):
        for base, (node_class, group) in _PROCESS_NODES.items():
            if dotted.startswith(base):
                plugin = dotted.removeprefix(base)
                if plugin.startswith(NO_ENTRY_POINT):
                    return f"{node_class}|{plugin.removeprefix(NO_ENTRY_POINT + '.')}.%"
                return f"{node_class}|{group}{plugin}.%"
    inner = f"{dotted}.%|"
    return inner + "%" if inner.startswith("process.") else inner


def _namespace(name: str, path: str, leaf: bool, label: str | None = None,
               full_type: str | None = None, counter: int | None = None) -> Namespace:  # fmt: skip
    if name == NO_ENTRY_POINT:
        return Namespace(name, path, "Unregistered", None, counter, leaf)
    if label is None:
        label = _LABELS.get(path, path.rpartition(".")[-1])
    return Namespace(name, path, label, full_type or _inner_full_type(path), counter, leaf)


def _insert(
    parent: Namespace, dotted: str, label: str, full_type: str, counter: int | None
) -> None:
    parts = dotted.split(".")
    node = parent
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        path = f"{node.path}.{part}"
        existing = node.children.get(part)
        if existing is None:
            if last:
                node.children[part] = _namespace(part, path, True, label, full_type, counter)
            else:
                node.children[part] = _namespace(part, path, False)
        elif existing.leaf and not last:
            # a leaf that now has children: it becomes a namespace holding itself
            inner = _namespace(part, path, False)
            inner.children[part] = existing
            node.children[part] = inner
        elif not existing.leaf and last:
            leaf = _namespace(part, f"{path}.{part}", True, label, full_type, counter)
            existing.children[part] = leaf
        node = node.children[part]


def leaf_entry(node_type: str, process_type: str) -> tuple[str, str] | None:
    """(namespace, label) of a (node_type, process_type) pair; ``None`` for a nameless type."""
    parts = node_type.rsplit(".", 2)
    if process_type:
        group, colon, name = process_type.partition(":")
        if colon and ":" not in name and group in ENTRY_POINT_GROUPS:
            return ".".join([*parts[:-2], name]), name.rpartition(".")[-1]
        return (
            ".".join([*parts[:-2], NO_ENTRY_POINT, process_type]),
            process_type.rsplit(".", 1)[-1],
        )
    if len(parts) < 2:
        return None
    return ".".join(parts[:-2]), parts[-2]


def tree(pairs: dict[tuple[str, str], int | None]) -> dict[str, Any]:
    """The namespace tree of the (node_type, process_type) pairs (with counts, or ``None``)."""
    entries = []
    for (node_type, process_type), counter in pairs.items():
        entry = leaf_entry(node_type, process_type)
        if entry is not None and entry[0]:
            entries.append((entry[0], entry[1], f"{node_type}|{process_type}", counter))
    root = Namespace("node", "node", "node", "node.%|", None, False)
    for dotted, label, full, counter in sorted(entries, key=lambda item: (item[0], item[2])):
        _insert(root, dotted, label, full, counter)
    return root.describe()
