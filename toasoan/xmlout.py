"""Writing the site's XML files (feeds, sitemaps): one element helper, fixed bytes; no I/O."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all, even escaped: dropped rather than break every reader.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text_element(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    """A child element holding `text` (escaped by the serializer, never read as markup)."""
    element = ET.SubElement(parent, tag, attributes)
    element.text = NOT_XML.sub("", text)
    return element


def xml_bytes(root: ET.Element) -> bytes:
    """The document as indented UTF-8 with its declaration: the same tree, the same bytes."""
    ET.indent(root)
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8") + b"\n"
