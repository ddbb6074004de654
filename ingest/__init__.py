"""Batch ingestion of documents and case entries (see the ingest issue); builds on ``kg``."""
