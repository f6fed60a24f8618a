"""A1-style certificates (RSA key and X.509 in a PKCS#12 file) for the fiscal tests, self-signed
or issued by a test CA; the test CA also issues the fake SEFAZ's TLS certificate."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = "senha-do-certificado"


@dataclass(frozen=True)
class TestCA:
    """A certificate authority of the tests: its key, its certificate and that as a PEM file."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    pem: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(folder: Path, name: str = "ca") -> TestCA:
    """A self-signed CA, its certificate written to ``<name>.pem``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(f"AC DE TESTE {name}"))
            .issuer_name(_name(f"AC DE TESTE {name}")).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = folder / f"{name}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return TestCA(key, cert, pem)


def make_server_certificate(folder: Path, ca: TestCA) -> tuple[Path, Path]:
    """(certificate, key) PEM files of a TLS server on 127.0.0.1, issued by ``ca``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1"))
            .issuer_name(ca.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca.key, hashes.SHA256()))
    cert_file, key_file = folder / "sefaz.pem", folder / "sefaz.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def make_certificate(folder: Path, *, days: int = 365, password: str = PASSWORD,
                     name: str = "cert", ca: TestCA | None = None) -> tuple[Path, Path]:
    """Write ``<name>.pfx`` (key and certificate, with ``password``) and ``<name>.pem`` (the
    certificate alone, for xmlsec1) into ``folder``; a negative ``days`` makes it expired;
    ``ca`` issues it (self-signed otherwise)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = _name("RESTAURANTE TESTE LTDA:11222333000181")
    now = datetime.now(timezone.utc)
    start, end = (now - timedelta(days=30), now + timedelta(days=days)) if days > 0 else (
        now - timedelta(days=400), now + timedelta(days=days))
    cert = (x509.CertificateBuilder().subject_name(subject)
            .issuer_name(ca.cert.subject if ca else subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .sign(ca.key if ca else key, hashes.SHA256()))
    pfx = folder / f"{name}.pfx"
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(
        b"a1", key, cert, None, serialization.BestAvailableEncryption(password.encode())))
    pem = folder / f"{name}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pfx, pem
