"""The shape of the package (issue 7, DESIGN.md §2): arrows point one way, web → flows → (domain, store, security,
delivery, audit); domain imports nothing of ours; no flow imports another flow; no import cycles.

Every ``import`` counts, also one inside a function or under ``TYPE_CHECKING``: a lazy import is still an arrow.
The checker is tested on a graph with one arrow reversed, so a test that cannot fail would show here.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "kabinet"

# Lower ranks never import higher ones. Ties are allowed only inside one package (checked by cycles).
RANKS: list[tuple[str, int]] = [
    ("kabinet.domain", 0),
    ("kabinet.clock", 0), ("kabinet.config", 0), ("kabinet.logs", 0), ("kabinet.policy", 0), ("kabinet.memory", 0),
    ("kabinet.offload", 0), ("kabinet.texts", 0),
    ("kabinet.store", 1),
    ("kabinet.audit", 2),
    ("kabinet.security", 3),
    ("kabinet.delivery", 4), ("kabinet.identity_registers", 4), ("kabinet.places", 4),
    ("kabinet.flows", 5),
    ("kabinet.web.main", 7), ("kabinet.web.prefork", 7),  # entry points: they compose the app and its server
    ("kabinet.web", 6),
    ("kabinet.bootstrap", 7), ("kabinet.demo", 7), ("kabinet.cli", 8), ("kabinet", 8),
]
# Every folder of flows/ but shared/ is a room (issue 27: a list written by hand had left two rooms out).
FLOW_ROOMS = tuple(sorted(p.parent.name for p in (ROOT / "flows").glob("*/__init__.py") if p.parent.name != "shared"))


def rank(module: str) -> int:
    for prefix, value in RANKS:
        if module == prefix or module.startswith(prefix + "."):
            return value
    raise AssertionError(f"{module} has no layer: add it to RANKS")


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """``module → modules of ours it imports`` for every module of the package."""
    names = {_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        deps: set[str] = set()
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("kabinet"))
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(name, is_package, node)
                if base.startswith("kabinet"):
                    deps.update(f"{base}.{a.name}" if f"{base}.{a.name}" in names else base for a in node.names)
        graph[name] = {d for d in deps if d != name}
    return graph


def _name(path: Path, root: Path) -> str:
    parts = ("kabinet", *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(name: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, deps in graph.items():
        for dep in deps:
            if module.startswith("kabinet.domain") and not dep.startswith("kabinet.domain"):
                out.append(f"{module} -> {dep}: domain imports nothing of ours")
            elif rank(dep) > rank(module):
                out.append(f"{module} -> {dep}: an arrow against web → flows → (domain, store, security, …)")
    return sorted(out)


def flow_violations(graph: dict[str, set[str]]) -> list[str]:
    """Rooms hold flows (one module each) and their private engine (``_*.py``): a flow imports ``flows.shared``,
    its own room's private modules and another room's ``_api`` — never another flow, never another room's engine;
    ``flows.shared`` imports no room; the web edge imports flows and ``_api`` modules, never an engine."""
    out = []
    for module, deps in graph.items():
        parts = module.split(".")
        in_flows = parts[:2] == ["kabinet", "flows"]
        if in_flows and len(parts) < 4:
            continue  # the package and the rooms' __init__ register handlers by importing every flow
        if not in_flows and parts[:2] != ["kabinet", "web"]:
            continue
        for dep in deps:
            dparts = dep.split(".")
            if dparts[:2] != ["kabinet", "flows"] or len(dparts) < 4 or dparts[2] not in FLOW_ROOMS:
                continue
            target, private = dparts[3], dparts[3].startswith("_")
            if not in_flows:
                if private and target != "_api":
                    out.append(f"{module} -> {dep}: the edge calls flows and a room's _api, never its engine")
            elif parts[2] == "shared":
                out.append(f"{module} -> {dep}: flows.shared imports no room")
            elif parts[2] == dparts[2] and not private:
                out.append(f"{module} -> {dep}: flows never import each other; move what they share to the room's "
                           "private engine (_*.py)")
            elif parts[2] != dparts[2] and target != "_api":
                out.append(f"{module} -> {dep}: another room is reached only through its _api")
    return sorted(out)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (one per back edge)."""
    found, state = [], {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                found.append([*stack[stack.index(dep):], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_arrows_point_one_way():
    assert layer_violations(module_graph()) == []


def test_no_flow_imports_another_flow_nor_another_rooms_engine():
    assert flow_violations(module_graph()) == []


def test_no_import_cycles():
    assert cycles(module_graph()) == []


def test_every_module_has_a_layer():
    for module in module_graph():
        rank(module)


def test_the_checks_catch_a_reversed_arrow_a_sideways_flow_and_a_cycle():
    graph = module_graph()
    assert "kabinet.flows.shared.challenges" in graph["kabinet.flows.contacts.remove_contact"]  # the graph is real
    reversed_arrow = {**graph, "kabinet.store.db": graph["kabinet.store.db"] | {"kabinet.flows.shared.challenges"}}
    assert layer_violations(reversed_arrow) == [
        "kabinet.store.db -> kabinet.flows.shared.challenges: an arrow against web → flows → (domain, store, "
        "security, …)"]
    impure_domain = {**graph, "kabinet.domain.phone": {"kabinet.policy"}}
    assert layer_violations(impure_domain) == ["kabinet.domain.phone -> kabinet.policy: domain imports nothing of ours"]
    sideways = {**graph, "kabinet.flows.contacts.change_contact": {"kabinet.flows.contacts.add_email"}}
    assert len(flow_violations(sideways)) == 1
    for room in FLOW_ROOMS:  # in every room, the relying services' and the trusted person's too
        flows = sorted(m for m in graph if m.startswith(f"kabinet.flows.{room}.") and m.count(".") == 3
                       and not m.rsplit(".", 1)[1].startswith("_"))
        assert len(flows) >= 2, room
        crossed = {**graph, flows[0]: graph[flows[0]] | {flows[1]}}
        assert flow_violations(crossed) == [f"{flows[0]} -> {flows[1]}: flows never import each other; move what "
                                            "they share to the room's private engine (_*.py)"], room
    # another room's engine is out of reach, its _api is not; shared reaches no room; the edge no engine
    assert "kabinet.flows.contacts._api" in graph["kabinet.flows.centre.add_email"]
    engine = {**graph, "kabinet.flows.centre.add_email": graph["kabinet.flows.centre.add_email"]
              | {"kabinet.flows.contacts._removal"}}
    assert flow_violations(engine) == ["kabinet.flows.centre.add_email -> kabinet.flows.contacts._removal: another "
                                       "room is reached only through its _api"]
    upward = {**graph, "kabinet.flows.shared.notices": graph["kabinet.flows.shared.notices"]
              | {"kabinet.flows.contacts._api"}}
    assert flow_violations(upward) == ["kabinet.flows.shared.notices -> kabinet.flows.contacts._api: flows.shared "
                                       "imports no room"]
    edge = {**graph, "kabinet.web.api.contacts": graph["kabinet.web.api.contacts"]
            | {"kabinet.flows.contacts._new_contacts"}}
    assert flow_violations(edge) == ["kabinet.web.api.contacts -> kabinet.flows.contacts._new_contacts: the edge "
                                     "calls flows and a room's _api, never its engine"]
    assert {"relying", "trusted", "access", "contacts"} <= set(FLOW_ROOMS)
    assert "kabinet.flows.shared.challenges" in graph["kabinet.flows.shared.confirmations"]
    looped = {**graph, "kabinet.flows.shared.challenges": graph["kabinet.flows.shared.challenges"]
              | {"kabinet.flows.shared.confirmations"}}
    assert ["kabinet.flows.shared.challenges", "kabinet.flows.shared.confirmations",
            "kabinet.flows.shared.challenges"] in cycles(looped)
