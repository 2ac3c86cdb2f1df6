"""Digital signatures (PAdES) on the approved report PDF, presented as Nghị định 30/2020/NĐ-CP Phụ lục I asks.

Under Nghị định 30/2020 an electronic administrative document is valid with two digital signatures: the signer's
(người có thẩm quyền) and the organisation's (cơ quan, tổ chức). Their visible presentation, as implemented here:
- the signer's: the image of their handwritten signature (blue, transparent PNG), centred between the signer's
  title and name, where the paper signature goes;
- the organisation's: the image of its seal (red, transparent PNG, real size), over about the left third of the
  signer's signature, with the organisation's name and the signing time (date, hh:mm:ss and Vietnam's offset,
  ISO 8601) in Times New Roman (metric-compatible Liberation Serif here) 10 pt, upright, black; never over the
  "Nơi nhận" column beside the signature (`text_beside_signature`);
- for a document without a signature block (a separate attachment), the organisation's signature at the top right
  of the first page, text only (`first_page_top_right`).

Keys come from a PKCS#12 file (password from an environment variable, never logged) or a USB token through
PKCS#11 as Vietnamese CAs issue them. `make_test_certificates` makes a throwaway CA and certificates whose names
say they are test certificates ("CHỨNG THƯ THỬ NGHIỆM – không có giá trị pháp lý").

pyHanko and cryptography are imported by the functions that sign, check or make certificates, not at the top: they
take seconds to import, and every flow-run process imports this module whether or not its plan signs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import os
import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from connectors.writing import written_whole
from thidua.plan import Signing, SigningKey

if TYPE_CHECKING:
    from cryptography import x509
    from pyhanko.sign import signers

#: Written into every test certificate's subject, so no one mistakes a test signature for a real one.
TEST_MARK = "CHỨNG THƯ THỬ NGHIỆM – không có giá trị pháp lý"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: Liberation Serif 2 has Times New Roman's metrics and Vietnamese's stacked diacritics (scripts/bootstrap.sh).
DEFAULT_FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
_PT_PER_MM = 72 / 25.4


class SigningError(Exception):
    """A PDF could not be signed; the message says why, in Vietnamese, for the clerk."""


@dataclass(frozen=True)
class Pkcs12Key:
    """A key and certificate in a PKCS#12 (.p12/.pfx) file; its password is read from `password_env`."""

    path: Path
    password_env: str = "THIDUA_SIGNING_PASSWORD"

    def __repr__(self) -> str:  # the password is never part of any representation or log line
        return f"Pkcs12Key(path={str(self.path)!r}, password_env={self.password_env!r})"


@dataclass(frozen=True)
class Pkcs11Key:
    """A key on a USB token (the form Vietnamese CAs issue) reached through the CA's PKCS#11 module (.so/.dll).

    Needs the python-pkcs11 package. The PIN is read from `pin_env`; without it the token's own PIN pad (protected
    authentication path) is used.
    """

    module: Path
    token_label: str | None = None
    key_label: str | None = None
    cert_label: str | None = None
    slot: int | None = None
    pin_env: str = "THIDUA_TOKEN_PIN"


class Role(enum.Enum):
    """Who a signature stands for: the competent person or the organisation (with its seal), as the law
    distinguishes."""

    PERSON = "person"  # người có thẩm quyền
    ORGANISATION = "organisation"  # cơ quan, tổ chức


@dataclass(frozen=True)
class Signer:
    """Who signs and how it looks: `name` is the person's or the organisation's name; `image` the blue handwritten
    signature (person) or the red seal (organisation), a transparent PNG; `image_mm` its printed width."""

    key: Pkcs12Key | Pkcs11Key
    role: Role
    name: str
    image: Path | None = None
    image_mm: float | None = None


@dataclass(frozen=True)
class SigningConfig:
    """What a school signs its approved reports with; either signature may be absent (the law wants both)."""

    person: Signer | None = None
    organisation: Signer | None = None
    font: Path = DEFAULT_FONT


@dataclass(frozen=True)
class Box:
    """A rectangle on a page in PDF points, origin bottom left; `page` counts from 0."""

    page: int
    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        """The box's width in PDF points."""
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        """The box's height in PDF points."""
        return self.y2 - self.y1


# --- Where the signatures go -----------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


_Line = tuple[int, float, float, float, float, float, str]


def _lines(pdf: Path) -> list[_Line]:
    """Every text line: (page, page height, xMin, yMin, xMax, yMax, text), y from the top (pdftotext -bbox)."""
    result = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, timeout=60,
                            check=False)
    if result.returncode != 0:
        raise SigningError(f"Không đọc được {pdf.name} để tìm chỗ ký: {result.stderr.decode('utf-8', 'replace')}")
    xhtml = re.sub(rb"<!DOCTYPE[^>]*>", b"", result.stdout)
    root = ET.fromstring(xhtml)
    ns = "{http://www.w3.org/1999/xhtml}"
    lines: list[_Line] = []
    for number, page in enumerate(root.iter(f"{ns}page")):
        height = float(page.attrib["height"])
        for line in page.iter(f"{ns}line"):
            text = " ".join(word.text or "" for word in line.iter(f"{ns}word"))
            x1, y1, x2, y2 = (float(line.attrib[k]) for k in ("xMin", "yMin", "xMax", "yMax"))
            lines.append((number, height, x1, y1, x2, y2, text))
    return lines


def locate_signature_block(pdf: Path, signer_name: str, signer_title: str,
                           lines: Sequence[_Line] | None = None) -> Box:
    """The space between the signer's title and name (Phụ lục I, ô 7c) on the page where they appear last (`lines`:
    the PDF's text lines, when the caller has already read them)."""
    name, title = _squash(signer_name), _squash(signer_title.splitlines()[-1] if signer_title else "")
    lines = _lines(pdf) if lines is None else lines
    for index in range(len(lines) - 1, -1, -1):
        page, height, x1, y1, x2, _, text = lines[index]
        if _squash(text) != name:
            continue
        above = [line for line in lines[:index] if line[0] == page and line[5] <= y1 and _squash(line[6]) == title
                 and line[2] < x2 and line[4] > x1]
        top = above[-1][5] if above else y1 - 60
        centre, width = (x1 + x2) / 2, max(x2 - x1, 120.0)
        return Box(page, centre - width / 2, height - y1 + 1, centre + width / 2, height - top - 1)
    raise SigningError(f'Không tìm thấy chỗ ký (chức vụ "{signer_title}" và họ tên "{signer_name}") trong {pdf.name}.')


def first_page_top_right(pdf: Path, width: float = 200, height: float = 40, margin: float = 20) -> Box:
    """Where an attachment carries the organisation's signature: the top right corner of its first page."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with pdf.open("rb") as handle:
        page = PdfFileReader(handle).root["/Pages"]["/Kids"][0].get_object()
        box = [float(v) for v in page["/MediaBox"]]
    return Box(0, box[2] - margin - width, box[3] - margin - height, box[2] - margin, box[3] - margin)


def text_beside_signature(lines: Sequence[_Line], signature: Box) -> list[Box]:
    """The text lines on the signature's page that end left of its centre: the "Nơi nhận" column, which the seal
    and its text must leave readable. Lines centred on the signature (title, name) or spanning the page are not."""
    centre = (signature.x1 + signature.x2) / 2
    return [Box(page, x1, height - y2, x2, height - y1) for page, height, x1, y1, x2, y2, _ in lines
            if page == signature.page and x2 < centre]


_GAP_PT = 4.0  # the least room kept between the seal (or its text) and a line beside it


def seal_over_signature(signature: Box, seal_mm: float, text_width: float = 200,
                        keep_clear: Sequence[Box] = ()) -> Box:
    """The seal, its right edge over the left third of the signer's signature (Điều 33; Phụ lục I: "trùm lên khoảng
    1/3 chữ ký ... về bên trái"), with room below it for two centred lines of text (organisation, time) up to
    `text_width` points wide. Where that would cover a line of `keep_clear` (the "Nơi nhận" column) at the same
    height, the seal moves right just enough to leave it clear, covering a little more of the signature instead."""
    size = seal_mm * _PT_PER_MM
    left = signature.x1 + signature.width / 3 - size
    middle = (signature.y1 + signature.y2) / 2
    top, seal_bottom = middle + size / 2, middle - size / 2
    bottom = seal_bottom - 26
    overhang = max(0.0, text_width - size) / 2  # how far the text under the seal reaches past its sides
    for line in keep_clear:
        if line.page != signature.page:
            continue
        if line.y2 > seal_bottom and line.y1 < top:
            left = max(left, line.x2 + _GAP_PT)
        if line.y2 > bottom and line.y1 < seal_bottom:
            left = max(left, line.x2 + _GAP_PT + overhang)
    centre, half = left + size / 2, max(size, text_width) / 2
    return Box(signature.page, centre - half, bottom, centre + half, top)


def organisation_text_width(organisation: Signer, font: Path) -> float:
    """How wide, in points, the organisation's two lines under the seal are (its name; the signing time)."""
    from PIL import ImageFont

    face = ImageFont.truetype(str(font), 10)
    return max(face.getlength(organisation.name), face.getlength("2000-01-01T00:00:00+07:00")) + 2


# --- Signing ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _pyhanko_signer(key: Pkcs12Key | Pkcs11Key) -> Iterator[signers.Signer]:
    from pyhanko.sign import signers

    from connectors.kept_key import KeptKeySigner

    if isinstance(key, Pkcs12Key):
        password = os.environ.get(key.password_env)
        loaded = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
            str(key.path), passphrase=password.encode() if password else None)
        if loaded is None:
            raise SigningError(f"Không mở được tệp chữ ký số {key.path.name}: sai mật khẩu (biến môi trường "
                               f"{key.password_env}) hoặc tệp không phải PKCS#12.")
        yield KeptKeySigner(loaded)
        return
    config = pkcs11_config(key)
    try:
        from pyhanko.sign.pkcs11 import PKCS11SigningContext
    except ImportError as exc:
        raise SigningError("Ký bằng USB token (PKCS#11) cần gói python-pkcs11, chưa được cài đặt.") from exc
    with PKCS11SigningContext(config, user_pin=os.environ.get(key.pin_env)) as token_signer:
        yield token_signer


def pkcs11_config(key: Pkcs11Key) -> Any:
    """pyHanko's PKCS#11 settings for a token key (a CA's token usually holds one key and its certificate)."""
    from pyhanko.config.pkcs11 import PKCS11PinEntryMode, PKCS11SignatureConfig, TokenCriteria

    return PKCS11SignatureConfig(
        module_path=str(key.module), slot_no=key.slot,
        token_criteria=TokenCriteria(label=key.token_label) if key.token_label else None,
        key_label=key.key_label, cert_label=key.cert_label or key.key_label,
        prompt_pin=PKCS11PinEntryMode.PROMPT if os.environ.get(key.pin_env) else PKCS11PinEntryMode.DEFER)


_PX_PER_PT = 4  # appearances are drawn at 288 dpi


def appearance_png(signer: Signer, box: Box, when: dt.datetime, font: Path, out: Path) -> Path:
    """The signature's visible appearance as a transparent PNG the size of `box`.

    Drawn with Pillow rather than as PDF text because pyHanko embeds a TrueType font (needed for Vietnamese) only
    with its optional HarfBuzz dependency; the organisation's text is therefore an image of Liberation Serif 10 pt.
    """
    from PIL import Image, ImageDraw, ImageFont

    canvas = Image.new("RGBA", (round(box.width * _PX_PER_PT), round(box.height * _PX_PER_PT)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    text_px = 10 * _PX_PER_PT
    lines = [signer.name, when.isoformat(timespec="seconds")] if signer.role is Role.ORGANISATION else []
    if signer.image is None and signer.role is Role.PERSON:
        lines = ["(Đã ký số)"]
    text_height = round(len(lines) * text_px * 1.15) if signer.image is not None else 0
    if signer.image is not None:
        image = Image.open(signer.image).convert("RGBA")
        room_w, room_h = canvas.width, canvas.height - text_height
        if signer.image_mm:
            room_w = min(room_w, round(signer.image_mm * _PT_PER_MM * _PX_PER_PT))
        scale = min(room_w / image.width, room_h / image.height)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
        canvas.alpha_composite(image, ((canvas.width - image.width) // 2, (room_h - image.height) // 2))
    face = ImageFont.truetype(str(font), text_px)
    colour = (20, 40, 200, 255) if signer.role is Role.PERSON else (0, 0, 0, 255)
    top = canvas.height - text_height if signer.image is not None else (canvas.height - len(lines) * text_px) // 2
    for number, line in enumerate(lines):
        width = draw.textlength(line, font=face)
        draw.text(((canvas.width - width) / 2, top + number * text_px * 1.15), line, font=face, fill=colour)
    canvas.save(out)
    return out


def sign(pdf_in: Path, pdf_out: Path, signer: Signer, box: Box, *, font: Path = DEFAULT_FONT,
         field_name: str | None = None, when: dt.datetime | None = None) -> Path:
    """Add one PAdES signature (an incremental update, so earlier signatures stay valid) shown in `box`."""
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    when = (when or dt.datetime.now(VIETNAM)).astimezone(VIETNAM)
    name = field_name or ("ChuKyNguoiCoThamQuyen" if signer.role is Role.PERSON else "ChuKyCoQuanToChuc")
    metadata = signers.PdfSignatureMetadata(
        field_name=name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason="Người có thẩm quyền ký" if signer.role is Role.PERSON else "Cơ quan, tổ chức ban hành văn bản",
        name=signer.name)
    pdf_out.parent.mkdir(parents=True, exist_ok=True)
    look = appearance_png(signer, box, when, font, pdf_out.with_name(f".{pdf_out.stem}.{name}.png"))
    style = StaticStampStyle(background=PdfImage(str(look)), border_width=0, background_opacity=1.0,
                             background_layout=layout.SimpleBoxLayoutRule(
                                 x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
                                 margins=layout.Margins(0, 0, 0, 0)))
    with _pyhanko_signer(signer.key) as key_signer, pdf_in.open("rb") as source:
        writer = IncrementalPdfFileWriter(source, strict=False)
        spec = fields.SigFieldSpec(sig_field_name=name, on_page=box.page,
                                   box=(int(box.x1), int(box.y1), int(box.x2), int(box.y2)))
        pdf_signer = signers.PdfSigner(metadata, signer=key_signer, stamp_style=style, new_field_spec=spec)
        with written_whole(pdf_out, "báo cáo đã ký") as partial, partial.open("wb") as out:
            pdf_signer.sign_pdf(writer, output=out)
    look.unlink()
    return pdf_out


def sign_report(pdf_in: Path, pdf_out: Path, config: SigningConfig, signer_name: str, signer_title: str,
                when: dt.datetime | None = None) -> Path:
    """The approved report signed by the person, then by the organisation, as Phụ lục I presents them."""
    if config.person is None and config.organisation is None:
        raise SigningError("Chưa cấu hình chữ ký số nào (người có thẩm quyền hoặc cơ quan, tổ chức).")
    lines = _lines(pdf_in)  # one read of the PDF for both signatures' places
    block = locate_signature_block(pdf_in, signer_name, signer_title, lines)
    current = pdf_in
    if config.person is not None:
        current = sign(current, pdf_out, config.person, block, font=config.font, when=when)
    if config.organisation is not None:
        place = seal_over_signature(block, config.organisation.image_mm or 36.0,
                                    organisation_text_width(config.organisation, config.font),
                                    text_beside_signature(lines, block))
        current = sign(current, pdf_out, config.organisation, place, font=config.font, when=when)
    return current


def sign_attachment(pdf_in: Path, pdf_out: Path, organisation: Signer, number_symbol: str, *,
                    font: Path = DEFAULT_FONT, when: dt.datetime | None = None) -> Path:
    """An attachment sent as its own file, signed by the organisation at the top right of its first page with no
    image: the main document's number and symbol and the signing time."""
    shown = replace(organisation, name=number_symbol, image=None)
    return sign(pdf_in, pdf_out, shown, first_page_top_right(pdf_in), font=font, when=when,
                field_name="ChuKyCoQuanToChucVanBanKemTheo")


# --- Checking --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """One signature as pyHanko's validator sees it."""

    field: str
    signer: str
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    details: str

    @property
    def ok(self) -> bool:
        """Whether the signature is intact, valid and chains to a trusted root: all three, or it is not good."""
        return self.intact and self.valid and self.trusted


def validate(pdf: Path, trust_roots: Sequence[Path]) -> list[SignatureCheck]:
    """Check every signature against the given CA certificates (PEM or DER)."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = []
    for path in trust_roots:
        data = path.read_bytes()
        cert = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
        roots.append(asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
    checks = []
    with pdf.open("rb") as handle:
        reader = PdfFileReader(handle, strict=False)
        for embedded in reader.embedded_signatures:
            try:
                status = validate_pdf_signature(embedded, ValidationContext(trust_roots=roots, allow_fetching=False))
            except Exception as exc:  # a file mangled enough to break the validator is not validly signed
                checks.append(SignatureCheck(embedded.field_name, "?", False, False, False, False,
                                             f"{type(exc).__name__}: {exc}"))
                continue
            checks.append(SignatureCheck(
                field=embedded.field_name, signer=status.signing_cert.subject.human_friendly,
                intact=status.intact, valid=status.valid, trusted=status.trusted,
                covers_whole_file=status.coverage is not None and status.coverage.name == "ENTIRE_FILE",
                details=status.pretty_print_details()))  # type: ignore[no-untyped-call]
    return checks


# --- Throwaway certificates for tests and the demo --------------------------------------------------------------


@dataclass(frozen=True)
class ThrowawayCertificates:
    """Paths of a test CA and the person's and organisation's keys it issued, for tests and the demo only."""

    ca: Path
    person: Path
    organisation: Path


def _name(common: str, organisation: str) -> x509.Name:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_MARK),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_test_certificates(directory: Path, organisation: str, person: str, password: str,
                           days: int = 30) -> ThrowawayCertificates:
    """A throwaway CA (ca.pem) and PKCS#12 files for a person and their organisation, each with TEST_MARK in its
    subject: enough to show and test the whole signing path, worthless as a legal signature."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("thidua TEST CA", "thidua")
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths = []
    for file_name, common in (("person.p12", person), ("organisation.p12", organisation)):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (x509.CertificateBuilder().subject_name(_name(common, organisation)).issuer_name(ca_name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        path = directory / file_name
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            common.encode(), key, cert, [ca_cert], serialization.BestAvailableEncryption(password.encode())))
        paths.append(path)
    return ThrowawayCertificates(ca=ca_path, person=paths[0], organisation=paths[1])


def make_test_images(directory: Path, organisation: str) -> tuple[Path, Path]:
    """A blue scribble as the signer's "handwritten" signature and a red seal marked THỬ NGHIỆM, both transparent
    PNGs, for tests and the demo: a real school scans its own."""
    from PIL import Image, ImageDraw, ImageFont

    directory.mkdir(parents=True, exist_ok=True)
    signature = Image.new("RGBA", (600, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(signature)
    points = [(40 + x * 26, 120 + int(70 * ((-1) ** x) * (0.4 + (x % 3) / 3))) for x in range(21)]
    draw.line(points, fill=(20, 40, 200, 255), width=9, joint="curve")
    draw.line([(60, 190), (560, 170)], fill=(20, 40, 200, 255), width=7)
    signature_path = directory / "chu-ky-thu.png"
    signature.save(signature_path)
    size = 600
    seal = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    red = (220, 20, 30, 255)
    draw.ellipse((8, 8, size - 8, size - 8), outline=red, width=14)
    draw.ellipse((70, 70, size - 70, size - 70), outline=red, width=6)
    bold = str(DEFAULT_FONT).replace("Regular", "Bold")
    lines = ((organisation.upper(), 230, 34), ("THỬ NGHIỆM", 290, 52), ("MẪU - KHÔNG CÓ GIÁ TRỊ", 370, 28))
    for text, y, points_ in lines:
        font = ImageFont.truetype(bold, points_)
        width = draw.textlength(text, font=font)
        while width > size - 170 and points_ > 12:
            points_ -= 2
            font = ImageFont.truetype(bold, points_)
            width = draw.textlength(text, font=font)
        draw.text(((size - width) / 2, y), text, font=font, fill=red)
    seal_path = directory / "con-dau-thu.png"
    seal.save(seal_path)
    return signature_path, seal_path


# --- From the plan ---------------------------------------------------------------------------------------------


def _key_of(spec: SigningKey, base: Path) -> Pkcs12Key | Pkcs11Key:
    if spec.pkcs12:
        return Pkcs12Key(base / spec.pkcs12, spec.password_env)
    return Pkcs11Key(base / spec.pkcs11_module, token_label=spec.token_label or None,
                     key_label=spec.key_label or None, pin_env=spec.pin_env)


def signing_config(signing: Signing, base: Path, person_name: str, organisation_name: str) -> SigningConfig:
    """The plan's `signing:` section as keys and appearances; relative paths from `base`,
    the plan file's folder."""
    def signer(spec: SigningKey | None, role: Role, name: str) -> Signer | None:
        if spec is None:
            return None
        return Signer(_key_of(spec, base), role, name, base / spec.image if spec.image else None,
                      spec.image_mm or (36.0 if role is Role.ORGANISATION else None))
    return SigningConfig(person=signer(signing.person, Role.PERSON, person_name),
                         organisation=signer(signing.organisation, Role.ORGANISATION, organisation_name))
