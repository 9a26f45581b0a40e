"""Model classes and pipeline tasks transformers lacks, registered with it when this package is imported,
so that `pipeline(task, model=FOLDER)` loads them without `trust_remote_code`."""

from pipelines.architectures import (  # noqa: F401  (register on import)
    bergamot,
    coco_detector,
    efficientnet_lite,
    letterbox_processor,
    mean_pooled_classifier,
    translation_task,
)
