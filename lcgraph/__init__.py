"""The lcgraph command line: the layer on top of ``api``, ``ingest`` and ``kg``."""
