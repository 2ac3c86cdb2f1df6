"""A service account the emulator accepts: an RSA key pair and the info dict google-auth expects.

The emulator trusts any signature unless keys are registered (strict mode), so a fresh key per process is
enough for tests and for the Google demo, which must run with no Google account at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.google import endpoints

SERVICE_ACCOUNT_EMAIL = "thidua-bot@thidua-emulator.iam.gserviceaccount.com"


@dataclass(frozen=True)
class FakeServiceAccount:
    """An RSA key pair and the service-account info dict google-auth expects."""

    private_key_pem: str
    public_cert_pem: str
    key_id: str = "emulator-key-1"
    client_email: str = SERVICE_ACCOUNT_EMAIL

    def info(self, base_url: str) -> dict[str, Any]:
        return {
            "type": "service_account",
            "project_id": "thidua-emulator",
            "private_key_id": self.key_id,
            "private_key": self.private_key_pem,
            "client_email": self.client_email,
            "client_id": "100000000000000000001",
            "token_uri": endpoints.token_uri(base_url),
        }


@lru_cache(maxsize=1)
def fake_service_account() -> FakeServiceAccount:
    """One RSA-2048 key per test session (generation takes a moment)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVICE_ACCOUNT_EMAIL)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return FakeServiceAccount(pem, cert.public_bytes(serialization.Encoding.PEM).decode())
