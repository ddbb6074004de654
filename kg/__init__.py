"""The lcgraph domain core: store, knowledge-graph facade, query policy and catalog loading."""
