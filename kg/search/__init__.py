"""Semantic search: offline text embedders, lexical matching, vector indexes and the search service."""
