"""The HTTP edge of lcgraph: translates HTTP to ``kg`` calls and back."""
