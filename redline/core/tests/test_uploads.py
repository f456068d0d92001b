"""Uploaded files (redline.core.uploads): the type comes from the content and must agree with
the name, the size is bounded, images lose their metadata, and a stored file is read only
through its record's door."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from redline.conftest import login
from redline.core import uploads
from redline.core.errors import ValidationFailed
from redline.hazards.models import Hazard
from redline.hazards.tests.factories import JPEG, PNG

HTML = b"<!doctype html><script>alert(document.cookie)</script>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00 this program cannot be run in DOS mode"
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def gps_jpeg() -> bytes:
    """A 40x20 JPEG a phone could have taken on its side: EXIF with a position (GPS), a
    camera make, and orientation 6 (turn 90 degrees to show it upright)."""
    picture = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 5.0)})
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def office(entry: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(entry, "<x/>")
    return out.getvalue()


def refusal(content: bytes, name: str, allowed=uploads.IMAGES, field: str = "photos") -> str:
    with pytest.raises(ValidationFailed) as refused:
        uploads.check(SimpleUploadedFile(name, content), field=field, allowed=allowed)
    assert list(refused.value.fields) == [field]
    return refused.value.fields[field]


# --- the checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (JPEG, uploads.JPEG),
        (PNG, uploads.PNG),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", uploads.WEBP),
        (b"%PDF-1.7\n", uploads.PDF),
        (office("xl/workbook.xml"), uploads.XLSX),
        (office("word/document.xml"), uploads.DOCX),
        (office("some/other.xml"), None),
        (b"PK\x03\x04 not really a zip", None),
        (HTML, None),
        (EXE, None),
    ],
)
def test_the_type_is_read_from_the_content(content, expected):
    assert uploads.sniff(content) == expected


@pytest.mark.parametrize("content", [HTML, EXE], ids=["html", "exe"])
def test_a_file_renamed_jpg_is_refused_naming_the_field_and_file(content):
    message = refusal(content, "site.jpg")
    assert "site.jpg" in message


def test_an_extension_that_disagrees_with_the_content_is_refused():
    assert "site.jpg" in refusal(PNG, "site.jpg")
    assert "report.pdf" in refusal(JPEG, "report.pdf", allowed=uploads.DOCUMENTS)
    # Without an extension, the content decides; the stored name gets the real one.
    upload = uploads.check(SimpleUploadedFile("photo", PNG), field="photos", allowed=uploads.IMAGES)
    assert upload.content_type == uploads.PNG and upload.as_file().name == "photo.png"


def test_a_type_the_place_does_not_take_is_refused():
    assert "sheet.xlsx" in refusal(office("xl/workbook.xml"), "sheet.xlsx", field="evidence")
    allowed = uploads.check(
        SimpleUploadedFile("sheet.xlsx", office("xl/workbook.xml")),
        field="evidence",
        allowed=uploads.OFFICE,
    )
    assert allowed.content_type == uploads.XLSX


def test_an_oversize_file_is_refused(settings):
    settings.REDLINE_UPLOAD_MAX_MB = 1
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
    message = refusal(big, "scan.pdf", allowed=uploads.DOCUMENTS, field="evidence")
    assert "scan.pdf" in message and "1 MB" in message
    # The same through the API's base64, refused before it is decoded.
    with pytest.raises(ValidationFailed) as refused:
        uploads.check(
            {"name": "scan.pdf", "content_base64": base64.b64encode(big).decode()},
            field="evidence",
            allowed=uploads.DOCUMENTS,
        )
    assert "1 MB" in refused.value.fields["evidence"]
    just = b"%PDF-1.4\n" + b"0" * (1024 * 1024 - 9)
    assert uploads.check(
        SimpleUploadedFile("scan.pdf", just), field="evidence", allowed=uploads.DOCUMENTS
    )


def test_a_jpeg_loses_its_exif_and_gps_and_is_turned_upright():
    original = gps_jpeg()
    with Image.open(io.BytesIO(original)) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the test's input does carry a position
    upload = uploads.check(
        SimpleUploadedFile("site.jpg", original), field="photos", allowed=uploads.IMAGES
    )
    assert upload.content_type == uploads.JPEG
    with Image.open(io.BytesIO(upload.content)) as after:
        assert after.format == "JPEG"
        assert not after.getexif() and not after.getexif().get_ifd(GPS_IFD)
        assert "exif" not in after.info and "comment" not in after.info
        assert after.size == (20, 40)  # orientation 6 applied
    assert b"PhoneMaker" not in upload.content and b"taken at home" not in upload.content


def test_a_png_loses_its_text_chunks_and_keeps_its_transparency():
    from PIL import PngImagePlugin

    picture = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone@example.org")
    out = io.BytesIO()
    picture.save(out, "PNG", pnginfo=info)
    upload = uploads.check(
        SimpleUploadedFile("a.png", out.getvalue()), field="photos", allowed=uploads.IMAGES
    )
    assert b"someone@example.org" not in upload.content
    with Image.open(io.BytesIO(upload.content)) as after:
        assert after.mode == "RGBA" and after.getpixel((0, 0))[3] == 0


def test_a_broken_image_is_refused():
    assert "cut.jpg" in refusal(JPEG[:40], "cut.jpg")


# --- through the pages and the API -------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def report_form(client, world, photo):
    page = client.get(reverse("hazard-report"))
    return client.post(
        reverse("hazard-report"),
        {
            "idempotency_key": page.context["form"].initial["idempotency_key"],
            "enterprise": world.orgs["ent"].arg,
            "name": "Cracked ladder",
            "description": "The ladder to tank T-2 is cracked.",
            "hazard_type": "equipment",
            "level": "general",
            "source": "daily",
            "photos": [photo],
        },
    )


@pytest.mark.django_db
def test_the_report_form_refuses_a_spoofed_photo_and_stores_nothing(client, world, media):
    login(client, "ent-operator")
    response = report_form(client, world, SimpleUploadedFile("ladder.jpg", HTML, "image/jpeg"))
    assert response.status_code == 422
    assert "ladder.jpg" in response.content.decode()
    assert not Hazard.objects.filter(name="Cracked ladder").exists()
    assert not any(media.rglob("*"))


@pytest.mark.django_db
def test_the_api_refuses_a_spoofed_photo_naming_the_field(client, world, media):
    login(client, "ent-operator")
    payload = {
        "enterprise": world.orgs["ent"].arg,
        "name": "Cracked ladder",
        "description": "The ladder to tank T-2 is cracked.",
        "hazard_type": "equipment",
        "level": "general",
        "photos": [{"name": "ladder.jpg", "content_base64": base64.b64encode(EXE).decode()}],
    }
    response = client.post("/api/v1/hazards", payload, content_type="application/json")
    assert response.status_code == 422
    assert "ladder.jpg" in response.json()["error"]["fields"]["photos"]
    assert not Hazard.objects.filter(name="Cracked ladder").exists()


@pytest.mark.django_db
def test_a_stored_photo_has_no_gps_and_only_the_jurisdiction_reads_it(client, world, media):
    login(client, "ent-operator")
    response = report_form(client, world, SimpleUploadedFile("ladder.jpg", gps_jpeg()))
    assert response.status_code == 302
    photo = Hazard.objects.get(name="Cracked ladder").photos.get()
    url = reverse("evidence-photo", args=[photo.token])
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as image:
        assert not image.getexif().get_ifd(GPS_IFD) and image.size == (20, 40)
    # The file sits under MEDIA_ROOT, which no URL serves: only the door above.
    assert photo.file.path.startswith(str(media))
    assert client.get("/media/" + photo.file.name).status_code == 404
    login(client, "ent2-admin")
    assert client.get(url).status_code == 404
