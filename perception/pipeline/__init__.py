"""Stage composition and the streaming runner."""

from perception.pipeline.runner import Pipeline, PipelineStopped, PipelineWorker, RunStats, run_pipeline
from perception.pipeline.stage import Stage

__all__ = ["Pipeline", "PipelineStopped", "PipelineWorker", "RunStats", "Stage", "run_pipeline"]
