"""The lcgraph ontology, concept schemes, SHACL shapes and the generated Python vocabulary."""
