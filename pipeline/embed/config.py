"""Settings of the embed stage."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EmbedConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: KGE model name: "quaternion", "dihedron", the text-enhanced "tetra", "robin", "lion"
    #: (these read entity labels and their documents; pick the product with
    #: model_kwargs {"algebra": "dihedron"}), or a PyKEEN model name.
    model: str = "quaternion"
    #: Hypercomplex numbers per vector: "quaternion"/"dihedron" export 4 * dim floats.
    dim: int = Field(32, ge=1)
    epochs: int = Field(50, ge=1)
    batch_size: int = Field(256, ge=1)
    lr: float = Field(0.01, gt=0)
    #: Negatives per positive (sLCWA, head or tail corrupted).
    negatives: int = Field(16, ge=1)
    seed: int = 42
    #: "auto" uses CUDA when present.
    device: str = "auto"
    #: Also train on inverse facts (t, r⁻¹, h), as Nayyeri et al. do.
    reciprocal: bool = False
    #: Extra model arguments, e.g. {"bias": true} or {"relation_norm": "split"} for "dihedron".
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
