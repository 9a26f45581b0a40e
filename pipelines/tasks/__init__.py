"""Tasks: one module per demo, each validating its input with one-sentence errors, asking its model's owner and
returning typed results."""
