"""Recipes: each module's `build(sources, out_dir, spec)` turns verified package files into a
standard transformers folder that `pipeline(task, model=out_dir)` loads offline."""
