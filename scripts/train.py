"""Trains the Rasa model only when its inputs changed; prints the model's path.

The model is named after a fingerprint of everything that shapes it (config, domain, training
data, knowledge-base names, custom components), so an unchanged checkout reuses the model.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINING_DATA = [ROOT / "data" / "nlu", ROOT / "data" / "rules", ROOT / "data" / "stories"]
DOMAIN = ROOT / "bot" / "domain"


def fingerprint_inputs(config: Path) -> list[Path]:
    # What shapes the trained model: config, domain, data, KB names, and the trainable or
    # tokenizing components (other code is loaded at serving time and needs no retraining).
    files = [config, ROOT / "requirements.lock", ROOT / "requirements-encoder.txt"]
    if "bot.components" in config.read_text(encoding="utf-8"):  # (Rasa's default pipeline uses none)
        files += [ROOT / "knowledge_base" / "text.py", ROOT / "knowledge_base" / "regional_rewrites.yml",
                  ROOT / "knowledge_base" / "pinyin_words.yml",
                  ROOT / "bot" / "components" / "tokenizer.py",
                  ROOT / "bot" / "components" / "language.py",
                  ROOT / "bot" / "components" / "service_resolver.py",
                  ROOT / "bot" / "components" / "understanding.py",
                  ROOT / "bot" / "understanding" / "encoder.py",
                  ROOT / "bot" / "understanding" / "phrases.py",
                  ROOT / "bot" / "understanding" / "semantic.py"]  # (aspect_cues, decision: inference only)
    for folder, pattern in [(DOMAIN, "*.yml"), (ROOT / "data", "**/*.yml"),
                            (ROOT / "knowledge_base" / "content" / "services", "*.yml")]:
        files += sorted(folder.glob(pattern))
    return files


def fingerprint(config: Path) -> str:
    digest = hashlib.sha256()
    for path in fingerprint_inputs(config):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def generate_nlu() -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_nlu.py")], check=True,
                   stdout=subprocess.DEVNULL)


def train(config: Path, out: Path, name: str) -> Path:
    model = out / f"{name}.tar.gz"
    if model.exists():
        return model
    cmd = [sys.executable, "-m", "rasa", "train", "--config", str(config), "--domain", str(DOMAIN),
           "--data", *[str(p) for p in TRAINING_DATA if p.exists()], "--out", str(out),
           "--fixed-model-name", name]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false"}
    started = time.monotonic()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)
    # how long the training took, for `make eval`'s report
    (out / f"{name}.seconds").write_text(f"{time.monotonic() - started:.0f}\n", encoding="utf-8")
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", type=Path, default=ROOT / "config.yml")
    ap.add_argument("--out", type=Path, default=ROOT / "models")
    ap.add_argument("--prefix", default="govassist")
    ap.add_argument("--if-trained", action="store_true", help="print the model only if it exists (exit 1 if not)")
    a = ap.parse_args()
    if a.if_trained:
        model = a.out / f"{a.prefix}-{fingerprint(a.config.resolve())}.tar.gz"
        print(model if model.exists() else "not trained")
        sys.exit(0 if model.exists() else 1)
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / ".train.lock", "w") as lock:  # one training at a time; others then reuse it
        fcntl.flock(lock, fcntl.LOCK_EX)
        generate_nlu()
        model = train(a.config.resolve(), a.out, f"{a.prefix}-{fingerprint(a.config.resolve())}")
    print(model)


if __name__ == "__main__":
    main()
