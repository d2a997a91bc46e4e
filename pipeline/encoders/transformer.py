"""A BERT-style (XLM-R) transformer encoder in plain PyTorch, loaded from an E5S1 file.

Post-layer-norm blocks: ``x = LN(x + Attn(x))``, ``x = LN(x + FFN(x))`` with
erf GELU; embeddings are word + position + token type 0, then LN. Position
row ``p`` of the file serves token ``p`` of each window (the file already
dropped XLM-R's two padding rows).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.encoders.e5_format import E5Config, E5File


class Block(nn.Module):
    def __init__(self, cfg: E5Config) -> None:
        super().__init__()
        h = cfg.hidden
        self.heads = cfg.heads
        self.q, self.k, self.v, self.ao = (nn.Linear(h, h) for _ in range(4))
        self.aln = nn.LayerNorm(h, eps=cfg.eps)
        self.fi = nn.Linear(h, cfg.ffn)
        self.fo = nn.Linear(cfg.ffn, h)
        self.oln = nn.LayerNorm(h, eps=cfg.eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """``x``: (batch, tokens, hidden); ``mask``: (batch, 1, 1, tokens) boolean, True = attend."""
        b, t, h = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.heads, h // self.heads).transpose(1, 2)

        ctx = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)), attn_mask=mask)
        x = self.aln(x + self.ao(ctx.transpose(1, 2).reshape(b, t, h)))
        return self.oln(x + self.fo(F.gelu(self.fi(x))))


class TransformerEncoder(nn.Module):
    """Token states of an XLM-R-style encoder; ``layers`` may keep only the first N blocks."""

    def __init__(self, cfg: E5Config, layers: int | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        # fp16 halves the 250k-row table (192 MB, not 384); rows are widened to fp32 on lookup.
        self.word = nn.Embedding(cfg.vocab_rows, cfg.hidden, dtype=torch.float16)
        self.pos = nn.Embedding(cfg.max_positions, cfg.hidden)
        self.token_type = nn.Parameter(torch.zeros(cfg.hidden))
        self.eln = nn.LayerNorm(cfg.hidden, eps=cfg.eps)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers if layers is None else layers))

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        return self.eln(self.word(ids).float() + self.pos(positions) + self.token_type)

    def forward(self, ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                start: int = 0, stop: int | None = None, states: torch.Tensor | None = None) -> torch.Tensor:
        """Hidden states after blocks ``[start, stop)``; ``states`` are the inputs of block ``start`` when > 0."""
        x = self.embed(ids) if start == 0 else states
        mask = None if attention_mask is None else attention_mask[:, None, None, :].bool()
        for block in self.blocks[start:stop]:
            x = block(x, mask)
        return x

    @classmethod
    def from_e5_file(cls, source: E5File, layers: int | None = None) -> TransformerEncoder:
        cfg = source.config
        model = cls(cfg, 0)
        h = cfg.hidden
        with torch.no_grad():
            _put(model.word.weight, source, "emb.word")
            _put(model.pos.weight, source, "emb.pos")
            model.token_type.copy_(torch.from_numpy(source.tensor("emb.type").reshape(cfg.type_vocab, h)[0]))
            _put(model.eln.weight, source, "emb.ln.w")
            _put(model.eln.bias, source, "emb.ln.b")
        model.blocks = nn.ModuleList(load_block(source, n) for n in range(cfg.layers if layers is None else layers))
        return model


def load_block(source: E5File, n: int) -> Block:
    """Block ``n`` of the file, weights stored [out, in] like ``nn.Linear``."""
    if not 0 <= n < source.config.layers:
        raise ValueError(f"block {n} is not in {source.path} (got {source.config.layers} blocks)")
    block = Block(source.config)
    with torch.no_grad():
        for part in ("q", "k", "v", "ao", "fi", "fo", "aln", "oln"):
            module = getattr(block, part)
            _put(module.weight, source, f"l{n}.{part}.w")
            _put(module.bias, source, f"l{n}.{part}.b")
    return block


def _put(param: torch.Tensor, source: E5File, name: str) -> None:
    param.data.copy_(torch.from_numpy(source.tensor(name)).view(param.shape))
