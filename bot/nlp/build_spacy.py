"""Build the local Dutch spaCy pipeline used by the NLU (no download, no pretrained vectors).

`spacy.blank("nl")` gives spaCy's Dutch tokenizer; the lookup lemmatizer gets its table from
`spacy-lookups-data` (installed from PyPI). The result is saved to `build/spacy-nl`, which
`config.yml` names as the SpacyNLP model. The build is skipped when the pipeline is already there
for the same spaCy version.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULT_TARGET = Path("build/spacy-nl")


def build(target: Path = DEFAULT_TARGET, force: bool = False) -> Path:
    import spacy

    meta = target / "meta.json"
    if meta.exists() and not force:
        built_with = json.loads(meta.read_text()).get("spacy_version", "")
        if built_with.lstrip(">=<~ ").startswith(spacy.__version__.rsplit(".", 1)[0]):
            return target
    nlp = spacy.blank("nl")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    nlp.meta["name"] = "wegwijzer_nl"
    nlp.meta["description"] = "spacy.blank('nl') with lookup lemmas (spacy-lookups-data)"
    target.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", type=Path, default=DEFAULT_TARGET)
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    print(f"spaCy-pijplijn: {build(args.target, args.force)}")


if __name__ == "__main__":
    main()
