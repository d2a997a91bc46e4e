"""Device, CPU threads and seeding for the GNN filter: the project's one runtime module (pipeline.runtime)."""

from pipeline.runtime import cpu_threads, resolve_device, seeded

__all__ = ["cpu_threads", "resolve_device", "seeded"]
