"""Draw the part pages onto the frame's sheets (see ``parts.py``), keeping the frame's PDF/A-3b.

The frame is the document: its catalog (XMP metadata, output intent, attachments, outline, named
destinations, link annotations) is kept as WeasyPrint wrote it. Each part page becomes a form
XObject drawn underneath its sheet's content, so its content stream is copied, never re-parsed.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    NameObject,
    StreamObject,
)

from generator.errors import BuildError

_FORM = NameObject("/mcPart")


def _form(page: DictionaryObject, resources: DictionaryObject) -> StreamObject:
    """A part page as a form XObject in ``writer`` (content bytes copied as they are)."""
    contents = page["/Contents"].get_object()
    if isinstance(contents, ArrayObject):  # several streams: join their decoded data
        form: StreamObject = DecodedStreamObject()
        form.set_data(b"\n".join(part.get_object().get_data() for part in contents))
    else:
        form = EncodedStreamObject()
        form._data = contents._data  # the compressed bytes as they are: no re-encoding
        for key in ("/Filter", "/DecodeParms"):
            if key in contents:
                form[NameObject(key)] = contents[key]
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(page["/MediaBox"])
    form[NameObject("/Resources")] = resources
    return form


def merge(frame: bytes, parts: list[bytes], first_sheet: int) -> bytes:
    """The frame with the pages of ``parts`` (in order) drawn on its pages from ``first_sheet``."""
    writer = PdfWriter(clone_from=io.BytesIO(frame))
    index = first_sheet
    for part in parts:
        reader = PdfReader(io.BytesIO(part))
        cloned_resources: dict[int, DictionaryObject] = {}
        for page in reader.pages:
            if index >= len(writer.pages):
                raise BuildError("PDF assembly: the frame has fewer sheets than the parts' pages")
            source = page["/Resources"]
            key = id(source.get_object())
            if key not in cloned_resources:  # WeasyPrint shares one dictionary between pages
                cloned_resources[key] = source.clone(writer)
            form_ref = writer._add_object(_form(page, cloned_resources[key]))
            sheet = writer.pages[index]
            resources = DictionaryObject(sheet["/Resources"].get_object())
            xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
            xobjects[_FORM] = form_ref
            resources[NameObject("/XObject")] = xobjects
            sheet[NameObject("/Resources")] = resources
            draw = DecodedStreamObject()
            draw.set_data(b"q /mcPart Do Q\n")
            contents = sheet["/Contents"]
            existing = contents if isinstance(contents, ArrayObject) else ArrayObject([contents])
            sheet[NameObject("/Contents")] = ArrayObject([writer._add_object(draw), *existing])
            index += 1
    if index != len(writer.pages):
        raise BuildError(
            f"PDF assembly: the frame has {len(writer.pages)} pages, the parts fill {index}"
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
