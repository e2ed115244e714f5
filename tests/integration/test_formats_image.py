"""Images of reports: text by OCR, with the warning that tables were not extracted."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from pipelines.document import ExtractionError
from pipelines.formats import image
from tests.support.pictures import needs_font, needs_ocr, text_page


def _encode(pictures: list[Image.Image], kind: str) -> bytes:
    out = io.BytesIO()
    pictures[0].save(out, kind, save_all=len(pictures) > 1, append_images=pictures[1:])
    return out.getvalue()


@needs_ocr
@needs_font
def test_png_text_without_spaces_between_characters():
    document = image.read(_encode([text_page(["政府信息公开工作年度报告", "共收到申请12件"])], "PNG"))
    assert document.format == "image"
    assert "政府信息公开工作年度报告" in document.text
    assert "申请12件" in document.text  # chi_sim's spaces around the digits are gone too
    assert document.warnings == [image.WARNING] and document.grids == []


@needs_ocr
@needs_font
def test_every_page_of_a_multi_page_tiff():
    document = image.read(_encode([text_page(["一、总体情况"]), text_page(["二、主动公开政府信息情况"])], "TIFF"))
    assert document.text.index("总体情况") < document.text.index("主动公开政府信息情况")


def test_without_tesseract_the_missing_packages_are_named(monkeypatch):
    monkeypatch.setattr(image, "ocr_available", lambda: False)
    with pytest.raises(ExtractionError, match=r"image: OCR needs tesseract with the chi_sim language pack"):
        image.read(b"\x89PNG\r\n\x1a\n")


@needs_ocr
def test_damaged_image():
    png = _encode([Image.new("RGB", (50, 50), "white")], "PNG")
    with pytest.raises(ExtractionError, match="image is damaged"):
        image.read(png[:40])


@needs_ocr
@needs_font
def test_a_phone_photo_is_turned_upright_by_its_exif_orientation():
    photo = text_page(["政府信息公开工作年度报告"]).rotate(90, expand=True)  # the camera held sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    out = io.BytesIO()
    photo.save(out, "JPEG", exif=exif, quality=95)
    assert "政府信息公开工作年度报告" in image.read(out.getvalue()).text
