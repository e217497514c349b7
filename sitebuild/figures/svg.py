"""Turn Graphviz's SVG into a published figure: self-contained, accessible, deterministic.

- Icons: Graphviz points at each PNG by its absolute path on this machine, which a browser will
  never load for an SVG shown through <img>. Each distinct icon becomes one <symbol> holding the PNG
  as a data: URI, and every place it appears a <use> of it, so a repeated icon costs its bytes once.
- Accessibility: role="img", a <title> and <desc> from the script, named by aria-labelledby and
  aria-describedby; each node, cluster and edge <title> reads as its label, not an internal name.
- Determinism: comments (Graphviz writes its version in one) and the DOCTYPE are dropped by the
  parser; nothing depends on time, paths or randomness.
"""

from __future__ import annotations

import base64
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

from sitebuild.figures.draw import Meta

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# CSS pixels per point: the size an <img> of the figure takes by default.
PX_PER_PT = 4 / 3
# Graphviz laid the text out with Helvetica's metrics; these fonts share them, so text fits on
# readers' machines that lack Helvetica (Windows: Arial; Linux: Liberation Sans, Nimbus Sans).
FONTS = {"Helvetica,sans-Serif": "Helvetica,Arial,Liberation Sans,Nimbus Sans,sans-serif"}


class SvgError(Exception):
    """The SVG cannot be published as it is (a missing icon, an external reference)."""


def _tag(name: str) -> str:
    return f"{{{SVG}}}{name}"


def _png_size(data: bytes, path: Path) -> tuple[int, int]:
    if data[:8] != PNG_SIGNATURE:
        raise SvgError(f"icon {path} is not a PNG; use a PNG icon")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _titles(root: ET.Element, titles: dict[str, str]) -> None:
    """Replace Graphviz's internal names in <title>s by what the reader sees."""
    for group in root.iter(_tag("g")):
        kind = group.get("class", "")
        title = group.find(_tag("title"))
        if title is None:
            continue
        name = title.text or ""
        if kind == "edge":
            ends = [titles.get(end, end) for end in name.split("->")]
            text = " → ".join(ends) if all(ends) else ""
        elif kind in ("node", "cluster"):
            text = titles.get(name, "")
        else:  # the whole graph: its title is the figure's own, set on <svg>
            text = ""
        if text:
            title.text = text
        else:
            group.remove(title)


def _icons(root: ET.Element, cwd: Path) -> ET.Element | None:
    """Inline each distinct icon once as a <symbol>; each image becomes a <use> of it."""
    parents = {child: parent for parent in root.iter() for child in parent}
    symbols: dict[Path, str] = {}
    defs = ET.Element(_tag("defs"))
    for image in list(root.iter(_tag("image"))):
        href = image.get(f"{{{XLINK}}}href") or image.get("href") or ""
        if href.startswith("data:"):
            continue
        path = (cwd / href).resolve()
        if not path.is_file():
            raise SvgError(f"icon {href!r} not found")
        if path not in symbols:
            data = path.read_bytes()
            width, height = _png_size(data, path)
            symbol_id = f"icon{len(symbols) + 1}"
            symbols[path] = symbol_id
            symbol = ET.SubElement(
                defs,
                _tag("symbol"),
                id=symbol_id,
                viewBox=f"0 0 {width} {height}",
                preserveAspectRatio=image.get("preserveAspectRatio", "xMidYMid meet"),
            )
            ET.SubElement(
                symbol,
                _tag("image"),
                width=str(width),
                height=str(height),
                href="data:image/png;base64," + base64.b64encode(data).decode("ascii"),
            )
        use = ET.Element(_tag("use"), href="#" + symbols[path])
        for key in ("x", "y", "width", "height"):
            if image.get(key) is not None:
                use.set(key, image.get(key, ""))
        use.tail = image.tail
        parent = parents[image]
        parent.insert(list(parent).index(image), use)
        parent.remove(image)
    return defs if symbols else None


def _fonts(root: ET.Element) -> None:
    for text in root.iter(_tag("text")):
        family = text.get("font-family", "")
        text.set("font-family", FONTS.get(family, family))


def _check_references(root: ET.Element) -> None:
    """Only in-document (#id) and data: references may remain: anything else would not load."""
    for element in root.iter():
        for key, value in element.attrib.items():
            if key.endswith("href") and not value.startswith(("#", "data:")):
                raise SvgError(f"the figure refers to {value!r}; only embedded content works")
            if re.search(r"\bfile:|url\(", value):
                raise SvgError(f"the figure refers to {value!r} in {key}")


def finish(svg: bytes, meta: Meta, titles: dict[str, str], cwd: Path) -> tuple[bytes, int, int]:
    """The publishable SVG, and its width and height in CSS pixels."""
    root = ET.fromstring(svg)  # drops comments and the DOCTYPE
    _titles(root, titles)
    defs = _icons(root, cwd)
    _fonts(root)
    title = ET.Element(_tag("title"), id="title")
    title.text = meta.title
    desc = ET.Element(_tag("desc"), id="desc")
    desc.text = meta.description
    head = [title, desc, *([defs] if defs is not None else [])]
    for element in head:
        element.tail = "\n"
    root[0:0] = head
    root.set("role", "img")
    root.set("aria-labelledby", "title")
    root.set("aria-describedby", "desc")
    _check_references(root)
    width, height = (float(root.get(key, "0").removesuffix("pt")) for key in ("width", "height"))
    body = ET.tostring(root, encoding="unicode")
    return body.encode() + b"\n", round(width * PX_PER_PT), round(height * PX_PER_PT)
