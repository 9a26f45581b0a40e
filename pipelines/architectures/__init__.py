"""Model classes transformers lacks, registered with its Auto classes when this package is imported,
so that `pipeline(task, model=FOLDER)` loads them without `trust_remote_code`."""

from pipelines.architectures import efficientnet_lite  # noqa: F401  (registers on import)
