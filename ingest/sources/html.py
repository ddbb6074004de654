"""HTML with BeautifulSoup and lxml: h1-h6 headings, paragraphs, list items and table rows.

Scripts, styles and other non-content elements are dropped. Lines are numbered sequentially over the
extracted text: one raw line per block (more when it holds ``<br>`` line breaks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ingest.clean import BlockBuilder
from ingest.model import SourceDocument
from kg.errors import InvalidInput

__all__ = ["read_html"]

_DROP = ["script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "head", "button"]
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_PARAGRAPHS = frozenset({"p", "pre", "dt", "dd", "figcaption", "caption", "address", "summary", "blockquote"})
_CONTAINERS = frozenset(
    {
        "html", "body", "div", "section", "article", "main", "header", "footer", "nav", "aside", "ul", "ol",
        "dl", "table", "thead", "tbody", "tfoot", "form", "fieldset", "figure", "details", "center", "menu",
    }
)  # fmt: skip
_NESTED_BLOCKS = frozenset({"ul", "ol", "dl", "table"})


_BR = "\ue000"  # stands for a <br> while whitespace is collapsed


def _squash(text: str) -> str:
    """Collapse whitespace to single spaces, turning ``<br>`` markers into line breaks."""
    lines = (" ".join(part.split()) for part in text.split(_BR))
    return "\n".join(line for line in lines if line)


_BLOCK_TAGS = frozenset({*_HEADINGS, *_PARAGRAPHS, *_CONTAINERS, "li", "tr", "td", "th", "hr"})


def _raw_text(node: Any) -> str:
    """Return the text under ``node``, with a space where a block element starts or ends.

    Inline markup adds nothing ("<b>sam</b>en" stays "samen"), but "<p>a</p><p>b</p>" gives "a b".
    """
    if getattr(node, "name", None) is None:
        return str(node)
    inner = "".join(_raw_text(child) for child in node.children)
    return f" {inner} " if node.name in _BLOCK_TAGS else inner


def _text(node: Any) -> str:
    """Return the text of ``node`` (a tag or a string) with whitespace collapsed and ``<br>`` kept."""
    return _squash(_raw_text(node))


class _Walker:
    """Walks the document tree in order and feeds blocks to a :class:`BlockBuilder`."""

    def __init__(self, builder: BlockBuilder) -> None:
        self.builder = builder
        self.inline: list[str] = []

    def flush(self) -> None:
        """Emit loose inline text collected in a container as a paragraph."""
        text = _squash("".join(self.inline))
        self.inline = []
        if text:
            self.builder.add("paragraph", text)

    def walk(self, node: Any) -> None:
        """Visit the children of ``node``."""
        for child in node.children:
            name = getattr(child, "name", None)
            if name is None:
                self.inline.append(str(child))
            elif name in _HEADINGS:
                self.flush()
                self.builder.add("heading", " ".join(_text(child).split()), level=_HEADINGS[name])
            elif name == "li":
                self.flush()
                self.list_item(child)
            elif name == "tr":
                self.flush()
                self.row(child)
            elif name in _PARAGRAPHS:
                self.flush()
                if child.find(["p", "ul", "ol", "table", "div"]) is not None:
                    self.walk(child)  # a blockquote (or odd markup) holding blocks
                    self.flush()
                elif name == "pre":
                    self.builder.add("paragraph", _raw_text(child).replace(_BR, "\n"))
                else:
                    self.builder.add("paragraph", _text(child))
            elif name in _CONTAINERS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.inline.append(_raw_text(child))

    def list_item(self, item: Any) -> None:
        """Emit a list item (its own text) and then the lists or tables nested in it."""
        own: list[str] = []
        nested: list[Any] = []
        for child in item.children:
            if getattr(child, "name", None) in _NESTED_BLOCKS:
                nested.append(child)
            else:
                own.append(_raw_text(child))
        self.builder.add("list_item", _squash("".join(own)))
        for block in nested:
            self.walk(block)
            self.flush()

    def row(self, tr: Any) -> None:
        """Emit a table row, its cells joined with `` | ``."""
        cells = [" ".join(_text(cell).split()) for cell in tr.find_all(["td", "th"], recursive=False)]
        if any(cells):
            self.builder.add("table_row", " | ".join(cells))


def read_html(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """Read the visible text of an HTML page.

    Args:
        path: the file (for the document and errors).
        data: its raw bytes (the parser detects the encoding from the BOM, ``<meta charset>`` or bytes).
        sha256: the hash of ``data``.

    Returns:
        The document, with language ``"und"`` (the caller detects it).

    Raises:
        InvalidInput: the page cannot be parsed or has no visible text.
    """
    from bs4 import BeautifulSoup
    from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

    name = path.name
    try:
        soup = BeautifulSoup(data, "lxml")
    except Exception as exc:
        raise InvalidInput(f"is not readable HTML: {exc or type(exc).__name__}", where=name) from exc
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text().split()) if title_tag is not None else ""
    for tag in soup.find_all(_DROP):
        tag.decompose()
    specials = Comment | Declaration | Doctype | ProcessingInstruction
    for special in soup.find_all(string=lambda s: isinstance(s, specials)):
        special.extract()
    for br in soup.find_all("br"):
        br.replace_with(_BR)
    builder = BlockBuilder()
    walker = _Walker(builder)
    walker.walk(soup.body if soup.body is not None else soup)
    walker.flush()
    blocks = builder.blocks()
    if not blocks:
        raise InvalidInput("has no visible text", where=name)
    return SourceDocument(
        path=path,
        format="html",
        sha256=sha256,
        title=title or None,
        language="und",
        blocks=blocks,
        raw_lines=builder.lines,
    )
