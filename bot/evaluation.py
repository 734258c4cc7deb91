"""`wegwijzer evaluate nlu`: our pipeline against Rasa's stock pipeline on the held-out set.

Both pipelines are trained on the same training data (data/) and tested on tests/nlu/, which is
never used for training. The report (reports/nlu.md, with the raw numbers in reports/nlu.json)
gives per-intent precision/recall/F1, macro-F1, the most frequent confusions, training time and
parse latency, side by side.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

STOCK_CONFIG = "rasa/engine/recipes/config_files/default_config.yml"
FALLBACK_INTENT = "nlu_fallback"


@dataclass
class Example:
    text: str
    intent: str


@dataclass
class Evaluation:
    name: str
    config: str
    train_seconds: float | None
    examples: int
    accuracy: float
    macro_f1: float
    fallback_rate: float
    per_intent: dict[str, dict[str, float]]
    confusions: list[tuple[str, str, int]]
    latency_ms_p50: float
    latency_ms_p95: float
    errors: list[tuple[str, str, str]] = field(default_factory=list)


def load_examples(path: str | Path) -> list[Example]:
    """Intent examples (with retrieval intents as `chitchat/are_you_human`) from Rasa NLU YAML."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        intent = message.get("intent")
        key = message.get("intent_response_key") or intent
        examples.append(Example(text=message.get("text"), intent=key))
    return examples


def predicted_intent(parse: dict) -> str:
    intent = (parse.get("intent") or {}).get("name") or FALLBACK_INTENT
    selectors = parse.get("response_selector") or {}
    if intent not in (selectors.get("all_retrieval_intents") or []):
        return intent
    selector = selectors.get(intent) or selectors.get("default")
    if selector:
        key = (selector.get("response") or {}).get("intent_response_key")
        if key:
            return key
    return intent


def score(name: str, config: str, train_seconds: float | None, gold: list[str], predicted: list[str],
          latencies: list[float], texts: list[str]) -> Evaluation:
    from sklearn.metrics import precision_recall_fscore_support

    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0
    )
    per_intent = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support)
    }
    confusions = Counter((g, p) for g, p in zip(gold, predicted) if g != p)
    latencies_sorted = sorted(latencies)
    return Evaluation(
        name=name,
        config=config,
        train_seconds=train_seconds,
        examples=len(gold),
        accuracy=sum(g == p for g, p in zip(gold, predicted)) / len(gold),
        macro_f1=float(statistics.fmean(f1)),
        fallback_rate=predicted.count(FALLBACK_INTENT) / len(predicted),
        per_intent=per_intent,
        confusions=[(g, p, n) for (g, p), n in confusions.most_common(15)],
        latency_ms_p50=statistics.median(latencies_sorted) * 1000,
        latency_ms_p95=latencies_sorted[int(0.95 * (len(latencies_sorted) - 1))] * 1000,
        errors=[(t, g, p) for t, g, p in zip(texts, gold, predicted) if g != p],
    )


async def _parse_all(model_path: str, texts: list[str]) -> tuple[list[dict], list[float]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model_path)
    parses, latencies = [], []
    for text in texts:
        start = time.perf_counter()
        parses.append(await agent.parse_message(text))
        latencies.append(time.perf_counter() - start)
    return parses, latencies


def evaluate_model(model_path: str, test_path: str = "tests/nlu", name: str = "model",
                   config: str = "", train_seconds: float | None = None) -> Evaluation:
    examples = load_examples(test_path)
    texts = [e.text for e in examples]
    parses, latencies = asyncio.run(_parse_all(model_path, texts))
    predicted = [predicted_intent(p) for p in parses]
    return score(name, config, train_seconds, [e.intent for e in examples], predicted, latencies, texts)


def stock_config(language: str = "nl") -> str:
    """Rasa's own default config (as `rasa init` writes it), with our language, as a temp file."""
    import rasa

    raw = yaml.safe_load((Path(rasa.__file__).parent.parent / STOCK_CONFIG).read_text())
    raw["language"] = language
    raw["assistant_id"] = "stock_default"
    handle = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
    yaml.safe_dump(raw, handle)
    handle.close()
    return handle.name


def train_nlu_model(config: str, output: str) -> tuple[str, float]:
    from rasa.model_training import train_nlu

    start = time.perf_counter()
    model = train_nlu(config=config, nlu_data="data", output=output, domain="domain.yml")
    if not model:
        raise SystemExit(f"NLU-training met {config} is mislukt.")
    return model, time.perf_counter() - start


def check_held_out(train_path: str = "data/nlu", test_path: str = "tests/nlu") -> list[str]:
    """Held-out examples that also occur in the training data (must be none)."""
    train_texts = {e.text.strip().lower() for e in load_examples(train_path)}
    return [e.text for e in load_examples(test_path) if e.text.strip().lower() in train_texts]


def data_fingerprint(train_path: str = "data/nlu", test_path: str = "tests/nlu") -> str:
    """SHA-256 over every (text, intent) pair of the training and held-out data, order-free.

    Two evaluations are comparable only on the same data; a stock measurement is reused only when
    this fingerprint matches (the stock pipeline takes about an hour to train on 2 cores).
    """
    digest = hashlib.sha256()
    for part, path in (("train", train_path), ("test", test_path)):
        for example in sorted((e.text, e.intent) for e in load_examples(path)):
            digest.update(f"{part}\t{example[0]}\t{example[1]}\n".encode("utf-8"))
    return digest.hexdigest()


def load_stock_from_report(path: str, fingerprint: str) -> Evaluation:
    """The stock evaluation of an earlier report, if it was measured on exactly this data."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if raw.get("data_fingerprint") != fingerprint or not raw.get("stock"):
        raise SystemExit(
            f"{path} is niet gemeten op dezelfde trainings- en testdata; train de standaardpijplijn opnieuw."
        )
    stock = dict(raw["stock"])
    stock["confusions"] = [tuple(c) for c in stock.get("confusions", [])]
    stock["errors"] = [tuple(e) for e in stock.get("errors", [])]
    return Evaluation(**stock)


def _seconds(value: float | None) -> str:
    return f"{value:.0f} s" if value else "not measured in this run (docs/nlu-tuning.md)"


def render_markdown(ours: Evaluation, stock: Evaluation | None, train_count: int,
                    stock_reused: bool = False, fingerprint: str = "") -> str:
    if stock is None:
        return render_ours_only(ours, train_count)
    reuse_note = (
        [" The stock column is taken from an earlier run on exactly the same training and held-out "
         f"data (data fingerprint `{fingerprint[:12]}` in `reports/nlu.json`; "
         "`--stock-from-report`): the stock pipeline takes about an hour to train here."]
        if stock_reused else []
    )
    lines = [
        "# NLU evaluation: Wegwijzer pipeline vs Rasa's stock pipeline",
        "",
        "Written by `wegwijzer evaluate nlu`. Both pipelines are trained on `data/` "
        f"({train_count} examples) and tested on the held-out set `tests/nlu/` "
        f"({ours.examples} examples, none of them in the training data). "
        "A prediction of `nlu_fallback` counts as wrong. Measured on a 2-core machine without GPU; "
        "training times depend on what else ran on it (conditions and earlier runs: "
        "`docs/nlu-tuning.md`)." + "".join(reuse_note),
        "",
        "| | Wegwijzer (`config.yml`) | Rasa stock default |",
        "|---|---|---|",
        f"| macro-F1 | **{ours.macro_f1:.3f}** | {stock.macro_f1:.3f} |",
        f"| accuracy | {ours.accuracy:.3f} | {stock.accuracy:.3f} |",
        f"| fallback rate | {ours.fallback_rate:.3f} | {stock.fallback_rate:.3f} |",
        f"| NLU training time | {_seconds(ours.train_seconds)} | {_seconds(stock.train_seconds)} |",
        f"| parse latency p50 | {ours.latency_ms_p50:.1f} ms | {stock.latency_ms_p50:.1f} ms |",
        f"| parse latency p95 | {ours.latency_ms_p95:.1f} ms | {stock.latency_ms_p95:.1f} ms |",
        "",
        "## Per intent",
        "",
        "| intent | support | P (ours) | R (ours) | F1 (ours) | F1 (stock) |",
        "|---|---|---|---|---|---|",
    ]
    for intent, row in sorted(ours.per_intent.items(), key=lambda item: item[1]["f1"]):
        stock_f1 = stock.per_intent.get(intent, {}).get("f1", 0.0)
        lines.append(
            f"| {intent} | {row['support']} | {row['precision']:.2f} | {row['recall']:.2f} "
            f"| {row['f1']:.2f} | {stock_f1:.2f} |"
        )
    for title, evaluation in (("Wegwijzer", ours), ("stock", stock)):
        lines += ["", f"## Most frequent confusions ({title})", "", "| true | predicted | count |", "|---|---|---|"]
        lines += [f"| {g} | {p} | {n} |" for g, p, n in evaluation.confusions] or ["| – | – | 0 |"]
    lines += ["", "## Misclassified held-out examples (Wegwijzer)", ""]
    lines += [f"- \"{t}\": {g} → {p}" for t, g, p in ours.errors] or ["- none"]
    return "\n".join(lines) + "\n"


def render_ours_only(ours: Evaluation, train_count: int) -> str:
    """The report when the stock pipeline was not trained (`--skip-stock`)."""
    lines = [
        "# NLU evaluation: Wegwijzer pipeline",
        "",
        "Written by `wegwijzer evaluate nlu --skip-stock`. Trained on `data/nlu/` "
        f"({train_count} examples), tested on the held-out set `tests/nlu/` ({ours.examples} "
        "examples, none in the training data). A prediction of `nlu_fallback` counts as wrong.",
        "",
        "**Rasa's stock pipeline was not measured in this run**: with its two transformer layers it "
        "trains at about 2 minutes per epoch on a shared 2-core machine (3.5 hours for 100 epochs). "
        "`wegwijzer evaluate nlu` without `--skip-stock` adds it side by side. How the settings were "
        "chosen, with the numbers of each run: docs/nlu-tuning.md.",
        "",
        "| | Wegwijzer (`config.yml`) |",
        "|---|---|",
        f"| macro-F1 | **{ours.macro_f1:.3f}** |",
        f"| accuracy | {ours.accuracy:.3f} |",
        f"| fallback rate | {ours.fallback_rate:.3f} |",
        f"| NLU training time | {'%.0f s' % ours.train_seconds if ours.train_seconds else 'see docs/nlu-tuning.md'} |",
        f"| parse latency p50 | {ours.latency_ms_p50:.1f} ms |",
        f"| parse latency p95 | {ours.latency_ms_p95:.1f} ms |",
        "",
        "## Per intent (weakest first)",
        "",
        "| intent | support | precision | recall | F1 |",
        "|---|---|---|---|---|",
    ]
    for intent, row in sorted(ours.per_intent.items(), key=lambda item: item[1]["f1"]):
        lines.append(f"| {intent} | {row['support']} | {row['precision']:.2f} | {row['recall']:.2f} | {row['f1']:.2f} |")
    lines += ["", "## Most frequent confusions", "", "| true | predicted | count |", "|---|---|---|"]
    lines += [f"| {g} | {p} | {n} |" for g, p, n in ours.confusions] or ["| – | – | 0 |"]
    lines += ["", "## Misclassified held-out examples", ""]
    lines += [f"- \"{t}\": {g} → {p}" for t, g, p in ours.errors] or ["- none"]
    return "\n".join(lines) + "\n"


def evaluate_nlu(report_dir: str = "reports", test_path: str = "tests/nlu", skip_stock: bool = False,
                 model: str | None = None, stock_model: str | None = None,
                 stock_train_seconds: float | None = None,
                 stock_report: str | None = None) -> tuple[Evaluation, Evaluation | None]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # A training cache of its own: the NLU-only and stock trainings would otherwise push the
    # assistant's cached components out of Rasa's cache (1 GB, least recently used goes first),
    # and the next `make demo` or `make test` would train everything again.
    os.environ.setdefault("RASA_CACHE_DIRECTORY", str(Path(".rasa", "cache-evaluate")))
    from bot.nlp.build_spacy import build

    build()
    leaked = check_held_out(test_path=test_path)
    if leaked:
        raise SystemExit(f"Deze testvoorbeelden staan ook in de trainingsdata: {leaked[:10]}")
    fingerprint = data_fingerprint(test_path=test_path)
    reused_stock = load_stock_from_report(stock_report, fingerprint) if stock_report else None
    results = []
    configs = [("wegwijzer", "config.yml")] + ([] if skip_stock or reused_stock else [("stock", stock_config())])
    with tempfile.TemporaryDirectory() as output:
        for name, config in configs:
            if model and name == "wegwijzer":
                results.append(evaluate_model(model, test_path, name, config, None))
                continue
            if stock_model and name == "stock":
                results.append(evaluate_model(stock_model, test_path, name, config, stock_train_seconds))
                continue
            trained, seconds = train_nlu_model(config, output)
            results.append(evaluate_model(trained, test_path, name, config, seconds))
    ours, stock = results[0], (results[1] if len(results) > 1 else reused_stock)
    Path(report_dir).mkdir(exist_ok=True)
    train_count = len(load_examples("data/nlu"))
    Path(report_dir, "nlu.md").write_text(render_markdown(ours, stock, train_count, bool(reused_stock), fingerprint), encoding="utf-8")
    Path(report_dir, "nlu.json").write_text(
        json.dumps({"data_fingerprint": fingerprint, "wegwijzer": asdict(ours),
                    "stock": asdict(stock) if stock else None, "stock_reused": bool(reused_stock)},
                   indent=1, ensure_ascii=False),
        encoding="utf-8",
    )
    return ours, stock


def cmd_evaluate(args: argparse.Namespace) -> None:
    ours, stock = evaluate_nlu(args.report_dir, skip_stock=args.skip_stock, model=args.model,
                               stock_model=args.stock_model, stock_train_seconds=args.stock_train_seconds,
                               stock_report=args.stock_from_report)
    stock_text = f"stock {stock.macro_f1:.3f}" if stock else "stock niet gemeten"
    print(f"macro-F1 Wegwijzer {ours.macro_f1:.3f}, {stock_text}; rapport: {args.report_dir}/nlu.md")


def register(subparsers: argparse._SubParsersAction) -> None:
    evaluate = subparsers.add_parser("evaluate", help="meet de kwaliteit van het model")
    what = evaluate.add_subparsers(dest="what", required=True)
    nlu = what.add_parser("nlu", help="NLU op de achtergehouden testset, tegen Rasa's standaardpijplijn")
    nlu.add_argument("--report-dir", default="reports")
    nlu.add_argument("--skip-stock", action="store_true",
                     help="Rasa's standaardpijplijn niet trainen (die duurt op 2 cores uren)")
    nlu.add_argument("--model", default=None,
                     help="een getraind model evalueren in plaats van onze pijplijn opnieuw te trainen")
    nlu.add_argument("--stock-model", default=None,
                     help="een al getraind model van de standaardpijplijn evalueren (bijvoorbeeld apart getraind)")
    nlu.add_argument("--stock-train-seconds", type=float, default=None,
                     help="gemeten trainingstijd van dat model, voor het rapport")
    nlu.add_argument("--stock-from-report", default=None, metavar="NLU_JSON",
                     help="de meting van de standaardpijplijn uit een eerder nlu.json overnemen; "
                          "alleen als die op precies dezelfde data is gedaan")
    nlu.set_defaults(func=cmd_evaluate)
