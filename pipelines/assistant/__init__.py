"""The customer-service assistant: its presets, the facts it answers from, retrieval, and the grounding guard that
checks each sentence before a visitor reads it."""
