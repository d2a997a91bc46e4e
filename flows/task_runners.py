"""Prefect task runners by name, in one place: ``[orchestration] task_runner = "threads"`` and its options.

``task_runners.make(name, config=OrchestrationConfig)``; an unknown name
lists the known ones. Each factory imports its package lazily, so naming
a runner costs nothing until it is used.
"""

from __future__ import annotations

from pipeline.config import OrchestrationConfig
from pipeline.errors import ConfigError
from pipeline.registry import Registry

task_runners: Registry = Registry("task runner")


@task_runners.register("threads")
def _threads(config: OrchestrationConfig):
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=config.max_workers)


@task_runners.register("sequential")
def _sequential(config: OrchestrationConfig):
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=1)


@task_runners.register("dask")
def _dask(config: OrchestrationConfig):
    from prefect_dask import DaskTaskRunner

    if config.dask_address:
        return DaskTaskRunner(address=config.dask_address)
    # Worker processes, one thread each (spaCy and torch are not thread-friendly);
    # the dashboard binds loopback, not 0.0.0.0 as Dask would.
    return DaskTaskRunner(cluster_kwargs={"n_workers": config.max_workers, "processes": True,
                                          "threads_per_worker": 1, "dashboard_address": "127.0.0.1:0"})


@task_runners.register("ray")
def _ray(config: OrchestrationConfig):
    try:
        from prefect_ray import RayTaskRunner
    except ImportError:
        raise ConfigError("task_runner = 'ray' needs prefect-ray: pip install prefect-ray") from None
    return RayTaskRunner(address=config.ray_address,
                         init_kwargs={"include_dashboard": False} if config.ray_address is None else None)


def task_runner(config: OrchestrationConfig):
    """The task runner ``config.task_runner`` names, built from ``config``."""
    return task_runners.make(config.task_runner, config=config)
