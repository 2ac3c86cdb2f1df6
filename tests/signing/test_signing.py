"""PAdES signatures on a real report PDF with a throwaway CA: pyHanko's validator finds them intact and names the
signers; a changed file fails; the visible presentation sits where Nghị định 30/2020 Phụ lục I puts it."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.generic import NameObject, StreamObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from connectors.local.documents import TEMPLATE_FOR_KIND, docx_to_pdf, pdf_text, render_docx
from connectors.pdf import find_soffice
from connectors.signing import (
    TEST_MARK,
    Pkcs11Key,
    Pkcs12Key,
    Role,
    Signer,
    SigningConfig,
    SigningError,
    ThrowawayCertificates,
    first_page_top_right,
    locate_signature_block,
    make_test_certificates,
    make_test_images,
    pkcs11_config,
    seal_over_signature,
    sign_attachment,
    sign_report,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORD = "mat-khau-thu-nghiem-7"
PASSWORD_ENV = "THIDUA_TEST_SIGNING_PASSWORD"

pytestmark = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed (scripts/bootstrap.sh)")


@dataclass(frozen=True)
class Sample:
    context: dict[str, Any]
    pdf: Path
    certs: ThrowawayCertificates
    config: SigningConfig
    signed: Path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    """The exemplars report (D2) as a PDF, signed by its principal and its school with throwaway certificates."""
    work = tmp_path_factory.mktemp("signing")
    context = json.loads((ROOT / "tests" / "fixtures" / "contexts" / "D2.json").read_text(encoding="utf-8"))
    # The registration's recipients, whose first line fills the "Nơi nhận" column to its edge, beside the seal.
    context["recipients"] = json.loads((ROOT / "tests" / "fixtures" / "contexts" / "D1.json")
                                       .read_text(encoding="utf-8"))["recipients"]
    docx = render_docx(ROOT / "templates" / TEMPLATE_FOR_KIND[context["kind"]], context, work / "D2.docx")
    pdf = docx_to_pdf(docx, work)
    assert pdf is not None
    certs = make_test_certificates(work / "keys", context["school_name"], context["signer_name"], PASSWORD)
    signature, seal = make_test_images(work / "images", context["school_name"])
    config = SigningConfig(
        person=Signer(Pkcs12Key(certs.person, PASSWORD_ENV), Role.PERSON, context["signer_name"], signature),
        organisation=Signer(Pkcs12Key(certs.organisation, PASSWORD_ENV), Role.ORGANISATION, context["school_name"],
                            seal, image_mm=36))
    with pytest.MonkeyPatch.context() as env:
        env.setenv(PASSWORD_ENV, PASSWORD)
        signed = sign_report(pdf, work / "D2-signed.pdf", config, context["signer_name"], context["signer_title"])
    yield Sample(context, pdf, certs, config, signed)


def test_both_signatures_validate_intact_trusted_and_name_their_signers(sample: Sample) -> None:
    checks = validate(sample.signed, [sample.certs.ca])
    assert [c.field for c in checks] == ["ChuKyNguoiCoThamQuyen", "ChuKyCoQuanToChuc"]
    assert all(c.intact and c.valid and c.trusted for c in checks)
    assert sample.context["signer_name"] in checks[0].signer and sample.context["school_name"] in checks[1].signer
    assert all(TEST_MARK in c.signer for c in checks)
    assert checks[1].covers_whole_file  # the organisation signs last, over everything
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "signed-report-validation.txt").write_text(
        "\n\n".join(f"== {c.field} ==\n{c.details}" for c in checks), encoding="utf-8")


def test_the_signed_report_keeps_its_text_and_shows_the_signatures_at_the_signature_block(sample: Sample) -> None:
    assert pdf_text(sample.signed) == pdf_text(sample.pdf)  # appearances are images: the document's text is unchanged
    block = locate_signature_block(sample.pdf, sample.context["signer_name"], sample.context["signer_title"])
    ARTIFACTS.mkdir(exist_ok=True)
    for page, name in ((1, "signed-report"), (block.page + 1, "signed-report-signatures")):
        stem = ARTIFACTS / name
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", str(page), "-l", str(page), "-singlefile",
                        str(sample.signed), str(stem)], check=True, timeout=60)
        assert stem.with_suffix(".png").read_bytes().startswith(b"\x89PNG")


def test_the_signature_block_lies_between_the_title_and_the_name_and_the_seal_covers_its_left_third(
        sample: Sample) -> None:
    block = locate_signature_block(sample.pdf, sample.context["signer_name"], sample.context["signer_title"])
    assert block.height > 30 and block.width >= 120  # the paper signature's space, several lines high
    seal = seal_over_signature(block, 36)
    seal_right = (seal.x1 + seal.x2) / 2 + 36 / 25.4 * 72 / 2
    assert block.x1 < seal_right < block.x1 + block.width / 2
    with pytest.raises(SigningError, match="Không tìm thấy chỗ ký"):
        locate_signature_block(sample.pdf, "Người Không Có", "HIỆU TRƯỞNG")


def _ink(pdf: Path, page: int, stem: Path) -> Any:
    """The page rendered at 72 dpi (one pixel a point, y from the top, as pdftotext gives boxes)."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", str(page + 1), "-l", str(page + 1), "-singlefile",
                    str(pdf), str(stem)], check=True, timeout=60)
    return Image.open(stem.with_suffix(".png")).convert("RGB")


def _recipients_box(pdf: Path, page: int) -> tuple[float, float, float, float]:
    """The "Nơi nhận" column's box (xMin, yMin, xMax, yMax from the top) as pdftotext lays the page out: the
    heading's line and every line below it starting at the same left edge."""
    xhtml = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page + 1), "-l", str(page + 1), str(pdf), "-"],
                           capture_output=True, text=True, check=True, timeout=60).stdout
    lines = [([float(v) for v in re.findall(r'"([\d.]+)"', attributes)], re.findall(r">([^<]+)</word>", body))
             for attributes, body in re.findall(r"<line ([^>]*)>(.*?)</line>", xhtml, re.S)]
    heading = next(box for box, words in lines if words[:2] == ["Nơi", "nhận:"])
    column = [box for box, _ in lines if abs(box[0] - heading[0]) < 3 and box[1] >= heading[1]]
    return (min(b[0] for b in column), heading[1], max(b[2] for b in column), max(b[3] for b in column))


def test_the_seal_covers_the_left_of_the_signature_and_never_the_recipients_column(
        sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a reader sees: the pixels the organisation's signature adds (the page signed by both, against the page
    signed by the person alone) lie clear of the "Nơi nhận" text and over the left of the signer's signature."""
    from PIL import ImageChops

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    block = locate_signature_block(sample.pdf, sample.context["signer_name"], sample.context["signer_title"])
    person_only = sign_report(sample.pdf, tmp_path / "person.pdf", replace(sample.config, organisation=None),
                              sample.context["signer_name"], sample.context["signer_title"])
    plain = _ink(sample.pdf, block.page, tmp_path / "plain")
    person = _ink(person_only, block.page, tmp_path / "person")
    both = _ink(sample.signed, block.page, tmp_path / "both")
    seal = ImageChops.difference(person, both).convert("L").point(lambda v: 255 if v > 40 else 0)
    signature = ImageChops.difference(plain, person).convert("L").point(lambda v: 255 if v > 40 else 0).getbbox()
    x1, y1, x2, y2 = _recipients_box(sample.pdf, block.page)
    beside = seal.crop((0, int(y1), seal.width, int(y2) + 1)).getbbox()  # its ink at the Nơi nhận lines' height
    assert beside is not None and signature is not None
    assert beside[0] > x2, (beside, (x1, y1, x2, y2))
    width = signature[2] - signature[0]
    assert signature[0] < beside[2] < signature[0] + width * 0.6, (beside, signature)  # about its left third


def test_a_byte_changed_after_signing_fails_validation(sample: Sample, tmp_path: Path) -> None:
    data = sample.signed.read_bytes()
    stamp = re.search(rb"/CreationDate\(D:(\d{4})", data)
    assert stamp is not None and stamp.start() < data.index(b"/ByteRange")  # inside the first signed revision
    year = str(int(stamp.group(1)) - 1).encode()  # back-date the report by a year, as a forger might
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(data[:stamp.start(1)] + year + data[stamp.end(1):])
    checks = validate(tampered, [sample.certs.ca])
    assert len(checks) == 2 and not any(c.intact or c.ok for c in checks)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "signed-report-tampered-validation.txt").write_text(
        "\n\n".join(f"== {c.field} ==\n{c.details}" for c in checks), encoding="utf-8")


def test_content_changed_in_a_later_update_is_not_covered_by_the_signatures(sample: Sample, tmp_path: Path) -> None:
    with sample.signed.open("rb") as source:
        writer = IncrementalPdfFileWriter(source, strict=False)
        page = writer.root["/Pages"]["/Kids"][0].get_object()
        page[NameObject("/Contents")] = writer.add_object(StreamObject(stream_data=b"BT /F1 24 Tf 72 72 Td (X) Tj ET"))
        writer.update_container(page)
        changed = tmp_path / "changed.pdf"
        with changed.open("wb") as out:
            writer.write(out)
    checks = validate(changed, [sample.certs.ca])
    assert all(c.intact for c in checks)  # the signed revisions are untouched ...
    assert not any(c.covers_whole_file for c in checks)  # ... but no signature covers the change


def test_an_attachment_is_signed_by_the_organisation_at_the_top_right_of_its_first_page(
        sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    assert sample.config.organisation is not None
    signed = sign_attachment(sample.pdf, tmp_path / "kem-theo.pdf", sample.config.organisation, "Số: 12/BC-THCS")
    checks = validate(signed, [sample.certs.ca])
    assert len(checks) == 1 and checks[0].ok and sample.context["school_name"] in checks[0].signer
    corner = first_page_top_right(sample.pdf)
    assert corner.page == 0 and corner.x2 > 500 and corner.y2 > 780  # A4 is 595 × 842 points


def test_a_certificate_from_another_ca_is_not_trusted(sample: Sample, tmp_path: Path) -> None:
    other = make_test_certificates(tmp_path, "Trường khác", "Người khác", PASSWORD)
    checks = validate(sample.signed, [other.ca])
    assert checks and all(c.intact for c in checks) and not any(c.trusted for c in checks)


def test_test_certificates_say_so_in_their_subject(tmp_path: Path) -> None:
    certs = make_test_certificates(tmp_path, "Trường THCS Thử", "Nguyễn Văn Thử", PASSWORD)
    _, cert, chain = pkcs12.load_key_and_certificates(certs.person.read_bytes(), PASSWORD.encode())
    assert cert is not None and TEST_MARK in cert.subject.rfc4514_string()
    assert "Nguyễn Văn Thử" in cert.subject.rfc4514_string() and len(chain) == 1


def test_the_kept_key_signs_exactly_as_pyhankos_own_signer_and_leaves_pss_to_it(sample: Sample) -> None:
    """PKCS#1 v1.5 is deterministic: the key built once must give pyHanko's own bytes; RSASSA-PSS (randomised) is
    left to pyHanko and still verifies."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from pyhanko.sign.signers import SimpleSigner

    from connectors.kept_key import KeptKeySigner

    loaded = SimpleSigner.load_pkcs12(str(sample.certs.person), passphrase=PASSWORD.encode())  # type: ignore[no-untyped-call]
    data = "Báo cáo D2".encode()
    assert KeptKeySigner(loaded).sign_raw(data, "sha256") == loaded.sign_raw(data, "sha256")
    pss = SimpleSigner.load_pkcs12(str(sample.certs.person), passphrase=PASSWORD.encode(),  # type: ignore[no-untyped-call]
                                   prefer_pss=True)
    signature = KeptKeySigner(pss).sign_raw(data, "sha256")
    _, cert, _ = pkcs12.load_key_and_certificates(sample.certs.person.read_bytes(), PASSWORD.encode())
    assert cert is not None
    cert.public_key().verify(signature, data, padding.PSS(padding.MGF1(hashes.SHA256()),  # type: ignore[call-arg,union-attr]
                                                          padding.PSS.AUTO), hashes.SHA256())


def test_a_wrong_password_is_refused_without_appearing_in_the_message(sample: Sample, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "sai-mat-khau-123")
    with pytest.raises(SigningError, match=PASSWORD_ENV) as caught:
        sign_report(sample.pdf, tmp_path / "x.pdf", sample.config, sample.context["signer_name"],
                    sample.context["signer_title"])
    assert "sai-mat-khau-123" not in str(caught.value) and "sai-mat-khau-123" not in repr(sample.config)
    assert not (tmp_path / "x.pdf").exists()


def test_a_usb_token_key_maps_to_pyhanko_pkcs11_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Pkcs11Key(Path("/usr/lib/ca-token/libp11-ca.so"), token_label="VNPT-CA", key_label="Mai Thanh Bình")
    monkeypatch.delenv(key.pin_env, raising=False)
    config = pkcs11_config(key)
    assert config.module_path == "/usr/lib/ca-token/libp11-ca.so" and config.token_criteria.label == "VNPT-CA"
    assert config.key_label == config.cert_label == "Mai Thanh Bình"
    assert config.prompt_pin.name == "DEFER"  # no PIN in the environment: the token's own PIN pad


@pytest.mark.skipif(importlib.util.find_spec("pkcs11") is not None, reason="python-pkcs11 is installed")
def test_signing_with_a_token_needs_python_pkcs11_and_says_so(sample: Sample, tmp_path: Path) -> None:
    token = Signer(Pkcs11Key(tmp_path / "missing.so"), Role.PERSON, "Mai Thanh Bình")
    with pytest.raises(SigningError, match="python-pkcs11"):
        sign_report(sample.pdf, tmp_path / "x.pdf", SigningConfig(person=token), sample.context["signer_name"],
                    sample.context["signer_title"])
