"""A self-signed A1-style certificate (RSA key and X.509 in a PKCS#12 file) for the fiscal tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = "senha-do-certificado"


def make_certificate(folder: Path, *, days: int = 365, password: str = PASSWORD,
                     name: str = "cert") -> tuple[Path, Path]:
    """Write ``<name>.pfx`` (key and certificate, with ``password``) and ``<name>.pem`` (the
    certificate alone, for xmlsec1) into ``folder``; a negative ``days`` makes it expired."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
                         x509.NameAttribute(NameOID.COMMON_NAME,
                                            "RESTAURANTE TESTE LTDA:11222333000181")])
    now = datetime.now(timezone.utc)
    start, end = (now - timedelta(days=30), now + timedelta(days=days)) if days > 0 else (
        now - timedelta(days=400), now + timedelta(days=days))
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .sign(key, hashes.SHA256()))
    pfx = folder / f"{name}.pfx"
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(
        b"a1", key, cert, None, serialization.BestAvailableEncryption(password.encode())))
    pem = folder / f"{name}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pfx, pem
