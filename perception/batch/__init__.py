"""Batch processing of many recordings, resumable, on a local process pool or a Ray cluster."""

from perception.batch.engines import ENGINES, run_local, run_ray
from perception.batch.inputs import recording_keys, resolve_inputs
from perception.batch.manifest import MANIFEST_NAME, Manifest
from perception.batch.runner import BatchConfig, BatchSummary, run_batch
from perception.batch.task import RecordingTask, run_task

__all__ = ["ENGINES", "run_local", "run_ray", "recording_keys", "resolve_inputs", "MANIFEST_NAME", "Manifest",
           "BatchConfig", "BatchSummary", "run_batch", "RecordingTask", "run_task"]
