"""One visibility model: the dataset each principal may read, built from the graph registry.

Every door that shows content (REST reads of submissions, SPARQL, exports, feeds, the moderation queue)
asks :func:`dataset_for` which named graphs the principal sees, instead of filtering per endpoint:

* anyone: the approved graphs (the public dataset; the search index is built from it alone);
* an account: also every graph it submitted itself, whatever its state (its pending and private work);
* a moderator (an account allowed to moderate, through its token's scopes too): also every proposed and
  rejected graph, and the audit trail.

Private graphs (unshared self-assessments) are seen by their submitter only, and the registry and the
accounts graph by nobody through these doors.
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.graph import AUDIT_GRAPH, KnowledgeGraph
from kg.permissions import Permission, Principal, allowed

MODERATED_STATES = frozenset({"proposed", "rejected"})


def can_moderate(principal: Principal) -> bool:
    """Tell whether the principal may see and decide on pending content."""
    return allowed(principal, Permission.MODERATE)


def dataset_for(kg: KnowledgeGraph, principal: Principal) -> list[ox.NamedNode]:
    """Return the named graphs ``principal`` may read, public ones first."""
    public = kg.visible_graphs()
    if principal.is_anonymous:
        return public
    seen = {g.value for g in public}
    moderator = can_moderate(principal)
    extra = [
        ox.NamedNode(graph)
        for graph, entry in sorted(kg.registry_entries().items())
        if graph not in seen
        and (
            (entry.account_id is not None and entry.account_id == principal.account_id)
            or (moderator and entry.state in MODERATED_STATES)
        )
    ]
    if moderator:
        extra.append(ox.NamedNode(str(AUDIT_GRAPH)))
    return public + extra


def may_read_graph(kg: KnowledgeGraph, principal: Principal, graph: str) -> bool:
    """Tell whether ``graph`` is part of the principal's dataset."""
    return any(g.value == graph for g in dataset_for(kg, principal))
