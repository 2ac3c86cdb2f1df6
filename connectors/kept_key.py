"""A PKCS#12 key's pyHanko signer that parses and checks the key once, not at every raw signature.

pyHanko's `SimpleSigner` keeps its key as DER and loads it again for each raw signature; cryptography checks an RSA
key at every load (60–80 ms for 2,048 bits on this machine), and each PDF signature makes two raw signatures (the
size estimate's and the real one). With the load of the PKCS#12 file that was three checks of one key per signature,
most of a report's signing time (profiled: 5 of 6.5 s for the demo's 18 signatures).

Imported only where a report is signed: pyHanko takes seconds to import.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


class KeptKeySigner(SimpleSigner):
    """`loaded`'s key and certificates, signing RSA PKCS#1 v1.5 (what a Vietnamese CA's RSA certificate and pyHanko's
    default choose) with the key object built once; any other mechanism goes to pyHanko's own code."""

    def __init__(self, loaded: SimpleSigner) -> None:
        super().__init__(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                         cert_registry=loaded.cert_registry, signature_mechanism=loaded.signature_mechanism,
                         prefer_pss=loaded.prefer_pss)
        # `load_pkcs12` checked this very key a moment ago; checking it again would cost as much as a signature.
        self._key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None,
                                                       unsafe_skip_rsa_key_validation=True)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """`data` signed with the kept key (pyHanko calls this for the size estimate and for the signature)."""
        try:  # "sha256_rsa" and the like name PKCS#1 v1.5; a mechanism asn1crypto cannot split is not ours
            algorithm = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            algorithm = None
        if algorithm == "rsassa_pkcs1v15" and isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)
