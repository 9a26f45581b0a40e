"""Recipes: each module's `build(sources, out_dir, spec)` turns verified package files (and the folders of
the catalog models named in `spec.needs`, by name) into a standard transformers folder that
`pipeline(task, model=out_dir)` loads offline. Recipes import only the engine's pure modules, never the
loader or the serving layer: a build reads files, it serves no one."""
