"""``kg train relations``: fine-tune the relation model on WebNLG and CoNLL04 train, pick its threshold on dev.

The frozen blocks run once per text (their states are cached in bfloat16);
each step runs only the tuned blocks and the heads. Batches hold texts of one
dataset, so a step chooses among that dataset's relation names. Besides the
gold mentions, two random words per text join the pairs as mentions that
relate to nothing, so the pair scorer learns to reject what the tagger gets wrong.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F

from pipeline.encoders import set_threads
from pipeline.evaluate.extraction import score_triples
from pipeline.ner.tagger import bio_tags, first_tokens
from pipeline.relations.data import Example, read_examples
from pipeline.relations.model import (
    MENTION_TAGS,
    RelationConfig,
    RelationModel,
    pair_rows,
    token_span,
    words,
)

log = logging.getLogger(__name__)

#: The public training and dev files, under a data folder (`kg train relations --data-dir`).
TRAIN_FILES = ("train/webnlg_train.jsonl", "train/conll04_train.jsonl")
DEV_FILES = ("webnlg_dev.jsonl", "train/conll04_dev.jsonl")
#: CoNLL04 has 922 texts against WebNLG's 13,409 first and second verbalisations: seen three times per epoch.
REPEAT = {"conll04_train.jsonl": 3}

#: What the shipped model learnt from, and under which licences: a model trained on NC data ships with its card.
DATA_CARD = {
    "webnlg_train.jsonl": {"source": "WebNLG v1.6 en train, ThiagoCF05/webnlg @711a8ca", "licence": "CC BY-NC-SA 4.0"},
    "conll04_train.jsonl": {"source": "CoNLL04 train, SpERT split (YoumiMa/TablERT-CNN @055333c)",
                            "licence": "none stated (research data of Roth & Yih 2004)"},
    "webnlg_dev.jsonl": {"source": "WebNLG v1.6 en dev (threshold only)", "licence": "CC BY-NC-SA 4.0"},
    "conll04_dev.jsonl": {"source": "CoNLL04 dev (threshold only)", "licence": "none stated"},
    "model_licence": "CC BY-NC-SA 4.0 (inherited from WebNLG): non-commercial use; the code stays MIT",
}

#: Extra random words per text that act as mentions relating to nothing.
DECOYS = 2


@dataclass
class Prepared:
    example: Example
    states: torch.Tensor  # (tokens, hidden) after the frozen blocks, bf16, with <s> and </s>
    word_tokens: list[int]  # +1-shifted first token of each word
    word_tags: list[int]
    pairs: list[list[int]]  # pair rows with row 0 (set per batch)
    labels: list[int]  # 0 = no relation, else 1 + schema index


def prepare(model: RelationModel, examples: list[Example], rng: random.Random, batch_size: int = 64) -> list[Prepared]:
    """Tokenize, tag and pair each example, and cache its frozen states."""
    out: list[Prepared] = []
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].text))
    prepared: dict[int, Prepared] = {}
    for at in range(0, len(order), batch_size):
        chunk = [examples[i] for i in order[at:at + batch_size]]
        states, batch = model.frozen_states([e.text for e in chunk])
        for r, (i, ex) in enumerate(zip(order[at:at + batch_size], chunk)):
            offsets = batch.encodings[r].offsets
            n = len(offsets) + 2
            prepared[i] = _prepared(ex, states[r, :n].to(torch.bfloat16).clone(), offsets, rng)
    out = [prepared[i] for i in range(len(examples)) if prepared[i] is not None]
    return out


def _prepared(ex: Example, states: torch.Tensor, offsets, rng: random.Random) -> Prepared | None:
    spans = [w for w in words(ex.text) if not offsets or w[0] < offsets[-1][1]]
    if not spans:
        return None
    tags, _ = bio_tags(spans, [(s, e, "ENT") for s, e in ex.mentions])
    tokens = [t + 1 for t in first_tokens(offsets, spans)]
    taken = set(ex.mentions)
    decoys = [w for w in spans if ex.text[w[0]:w[1]].isalpha() and w[1] - w[0] > 2
              and not any(s < w[1] and w[0] < e for s, e in taken)]
    mentions = list(ex.mentions) + rng.sample(decoys, min(DECOYS, len(decoys)))
    label = {(i, j): 1 + ex.schema.index(name) for i, j, name in ex.relations}
    token_spans = [token_span(offsets, s, e) for s, e in mentions]
    rows, index = pair_rows(0, token_spans, mentions, ex.text, (0, len(offsets) + 2))
    return Prepared(ex, states, tokens, [MENTION_TAGS.index(t) for t in tags], rows,
                    [label.get(pair, 0) for pair in index])


def _batches(items: list[Prepared], batch_size: int, rng: random.Random) -> list[list[Prepared]]:
    """Length-bucketed batches, one dataset (schema) per batch, in random order."""
    by_schema: dict[tuple, list[Prepared]] = {}
    for item in items:
        by_schema.setdefault(item.example.schema, []).append(item)
    batches = []
    for group in by_schema.values():
        group = sorted(group, key=lambda p: len(p.states) + rng.random())
        batches += [group[i:i + batch_size] for i in range(0, len(group), batch_size)]
    rng.shuffle(batches)
    return batches


def _step_loss(model: RelationModel, batch: list[Prepared], names: dict) -> torch.Tensor:
    device = model.encoder.device
    width = max(len(p.states) for p in batch)
    states = torch.zeros(len(batch), width, batch[0].states.shape[1], dtype=torch.bfloat16)
    mask = torch.zeros(len(batch), width, dtype=torch.long)
    rows, labels, word_rows, word_cols, word_tags = [], [], [], [], []
    for r, p in enumerate(batch):
        states[r, :len(p.states)] = p.states
        mask[r, :len(p.states)] = 1
        rows += [[r, *row[1:]] for row in p.pairs]
        labels += p.labels
        word_rows += [r] * len(p.word_tokens)
        word_cols += p.word_tokens
        word_tags += p.word_tags
    states, mask = states.to(device), mask.to(device)
    name_states, name_mask = names[batch[0].example.schema]
    with model.autocast():
        ctx = model.head.contextual(states.float() if model.precision == "fp32" else states, mask)
        tag_logits = model.head.mention(model.head.dropout(ctx[word_rows, word_cols]))
        loss = F.cross_entropy(tag_logits.float(), torch.tensor(word_tags, device=device))
        if rows:
            relations = model.head.relation_vectors(name_states, name_mask)
            logits = model.head.pair_logits(ctx, torch.tensor(rows, device=device), relations)
            loss = loss + F.cross_entropy(logits.float(), torch.tensor(labels, device=device))
    return loss


def predict_dev(model: RelationModel, dev: list) -> list[list]:
    """Every dev pair the model relates, at threshold 0 and uncalibrated (P(related) as is)."""
    kept, model.cfg = model.cfg, replace(model.cfg, threshold=0.0, calibration=(1.0, 0.0))
    try:
        return [model.predict([e.text for e in examples], examples[0].schema) for examples, _ in dev]
    finally:
        model.cfg = kept


def score(examples: list[Example], rows: list[dict], found: list, threshold: float) -> dict:
    """Pair and triple F1 of the triples above ``threshold`` (surface strings), as ``kg eval extract`` scores."""
    pair_tp = triple_tp = n_pred = n_gold = 0
    for ex, row, f in zip(examples, rows, found):
        pred = [[ex.text[slice(*f.mentions[i])], name, ex.text[slice(*f.mentions[j])]]
                for i, j, name, p in f.relations if p >= threshold]
        pairs, triples = score_triples(pred, row["triples"])
        pair_tp, triple_tp, n_pred, n_gold = pair_tp + pairs, triple_tp + triples, n_pred + len(pred), n_gold + len(row["triples"])

    def f1(tp: int) -> float:
        return round(2 * tp / (n_pred + n_gold), 4) if n_pred + n_gold else 0.0

    return {"pair_f1": f1(pair_tp), "triple_f1": f1(triple_tp), "pred": n_pred, "gold": n_gold}


def judged(examples: list[Example], rows: list[dict], found: list, threshold: float = 0.0) -> list[tuple[float, bool]]:
    """(P(related), right?) per distinct predicted triple of each text, most probable first; a triple is right
    when it takes a gold triple no earlier prediction took (the matching of ``kg eval extract``)."""
    from pipeline.evaluate.matching import entity_match, relation_match

    out = []
    for ex, row, f in zip(examples, rows, found):
        best: dict[tuple[str, str, str], float] = {}
        for i, j, name, p in f.relations:
            key = (ex.text[slice(*f.mentions[i])], name, ex.text[slice(*f.mentions[j])])
            best[key] = max(best.get(key, 0.0), p)
        used: set[int] = set()
        for (s, name, o), p in sorted(best.items(), key=lambda kv: -kv[1]):
            if p < threshold:
                continue
            hit = next((k for k, (gs, gp, go) in enumerate(row["triples"]) if k not in used and entity_match(s, gs)
                        and entity_match(o, go) and relation_match(name, gp)), None)
            if hit is not None:
                used.add(hit)
            out.append((p, hit is not None))
    return out


def fit_calibration(dev: list, found: list, threshold: float) -> tuple[float, float]:
    """Platt scaling (a, b) of P(related) on the kept dev triples: right-or-wrong against sigmoid(a·logit(p) + b)."""
    pairs = [pair for (ex, rows), f in zip(dev, found) for pair in judged(ex, rows, f, threshold)]
    if len({ok for _, ok in pairs}) < 2:
        return (1.0, 0.0)
    p = torch.tensor([min(max(q, 1e-6), 1 - 1e-6) for q, _ in pairs], dtype=torch.float64)
    x, y = torch.log(p / (1 - p)), torch.tensor([float(ok) for _, ok in pairs], dtype=torch.float64)
    ab = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([ab], max_iter=100)

    def closure():
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(ab[0] * x + ab[1], y)
        loss.backward()
        return loss

    optimizer.step(closure)
    a, b = ab.detach().tolist()
    return (round(a, 4), round(b, 4))


def calibrate_threshold(dev: list, found: list) -> float:
    """The threshold (0.4 ... 0.9) with the best mean dev triple F1 over the dev files.

    Below 0.4 would meet `kg extract`'s ``min_confidence`` (0.35), which is there for rule guesses.
    """
    grid = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
    return max(grid, key=lambda t: sum(score(ex, rows, f, t)["triple_f1"] for (ex, rows), f in zip(dev, found)))


def train_relations(train_files: list[str | Path], dev_files: list[str | Path], output: str | Path, *,
                    cfg: RelationConfig = RelationConfig(), epochs: int = 2, batch_size: int = 32,
                    lr: float = 1e-4, head_lr: float = 1e-3, limit: int | None = None, seed: int = 13,
                    device: str = "auto", precision: str = "auto", repeat: dict[str, int] | None = None,
                    verbalisations: int | None = 2, progress: bool = True) -> dict:
    """Train on ``train_files``, choose the threshold and the confidence scaling on ``dev_files``, save to ``output``.

    ``repeat`` oversamples small files by name ({"conll04_train.jsonl": 3}); ``verbalisations`` keeps the
    first N texts of each WebNLG entry (more of the same facts teach little); ``limit`` keeps the first N
    texts of each file (for smoke tests).
    """
    set_threads()
    torch.manual_seed(seed)
    rng = random.Random(seed)
    started = time.monotonic()
    examples = _training_examples(train_files, repeat or {}, verbalisations, limit)
    model = RelationModel(cfg, device=device, precision=precision,
                          general_schema=tuple(sorted({name for ex in examples for name in ex.schema})))
    items = prepare(model, examples, rng)
    names = _name_states(model, {p.example.schema for p in items})
    log.info("relations: %d train texts, %d pairs cached in %.0f s", len(items), sum(len(p.pairs) for p in items),
             time.monotonic() - started)
    optimizer, schedule = _optimizer(model, lr, head_lr, epochs * math.ceil(len(items) / batch_size))
    history = []
    for epoch in range(epochs):
        bar = _bar(math.ceil(len(items) / batch_size), f"epoch {epoch + 1}/{epochs}", progress)
        history.append({"epoch": epoch + 1, "loss": _train_epoch(model, _batches(items, batch_size, rng), names,
                                                                 optimizer, schedule, bar)})
        log.info("relations epoch %d: loss %.4f", epoch + 1, history[-1]["loss"])
        model.save(output, {"history": history, "complete": False})  # a usable checkpoint if the run is cut short
    dev = [(read_examples(p)[:limit], _rows(p)[:limit]) for p in dev_files]
    final = _calibrate(model, dev, [Path(p).name for p in dev_files])
    meta = {"train_files": [Path(p).name for p in train_files], "data_card": DATA_CARD, "epochs": epochs,
            "history": history, "dev": final, "seconds": round(time.monotonic() - started)}
    model.save(output, meta)
    return meta


def _training_examples(paths: list, repeat: dict[str, int], verbalisations: int | None, limit: int | None) -> list:
    examples = []
    for path in paths:
        examples += read_examples(path, verbalisations=verbalisations)[:limit] * repeat.get(Path(path).name, 1)
    return examples


def _name_states(model: RelationModel, schemas: set[tuple[str, ...]]) -> dict:
    """Frozen states of each schema's relation names, computed once for the whole run."""
    names = {schema: model.name_batch(schema) for schema in schemas}
    # Clones: tensors made under inference_mode cannot enter a backward pass.
    return {k: (s.to(torch.bfloat16).clone(), b.mask.clone()) for k, (s, b) in names.items()}


def _optimizer(model: RelationModel, lr: float, head_lr: float, total: int):
    """AdamW, the tuned blocks at ``lr`` and the new heads at ``head_lr``; 6 % warm-up, then linear decay."""
    blocks = [p for n, p in model.head.named_parameters() if n.startswith("blocks.")]
    heads = [p for n, p in model.head.named_parameters() if not n.startswith("blocks.")]
    optimizer = torch.optim.AdamW([{"params": blocks, "lr": lr}, {"params": heads, "lr": head_lr}], weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / (0.06 * total + 1)) *
                                                 max(0.0, 1 - s / total))
    return optimizer, schedule


def _train_epoch(model: RelationModel, batches: list, names: dict, optimizer, schedule, bar) -> float:
    """One pass over ``batches``; returns the mean loss."""
    model.head.train()
    running = 0.0
    for n, batch in enumerate(batches, start=1):
        loss = _step_loss(model, batch, names)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.head.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        running += loss.item()
        if bar:
            bar.update(1)
            bar.set_postfix(loss=f"{running / n:.3f}")
    if bar:
        bar.close()
    return round(running / max(len(batches), 1), 4)


def _calibrate(model: RelationModel, dev: list, dev_names: list[str]) -> dict:
    """Pick the threshold and fit the confidence scaling on dev; returns the dev scores at that threshold."""
    model._relation_cache.clear()
    if not dev:
        return {}
    found = predict_dev(model, dev)
    threshold = calibrate_threshold(dev, found)
    model.cfg = replace(model.cfg, threshold=threshold, calibration=fit_calibration(dev, found, threshold))
    return {name: score(ex, rows, f, threshold) for name, (ex, rows), f in zip(dev_names, dev, found)}


def _rows(path) -> list[dict]:
    import json

    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _bar(total: int, desc: str, progress: bool):
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="batch")
