"""Media at the edge: audio, images, text and tables as visitors upload them, normalised or refused in one sentence."""
