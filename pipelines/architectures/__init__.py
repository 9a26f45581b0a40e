"""Model classes and pipeline tasks transformers lacks, registered with it when this package is imported,
so that `pipeline(task, model=FOLDER)` loads them without `trust_remote_code`."""

from pipelines.architectures import bergamot, efficientnet_lite, translation_task  # noqa: F401  (register on import)
