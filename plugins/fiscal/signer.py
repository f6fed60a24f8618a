"""The A1 certificate and the enveloped XML-DSig SEFAZ asks for (RSA-SHA1, inclusive C14N).

Small on purpose: SEFAZ accepts exactly one profile (a reference to the ``Id`` of ``infNFe``,
``infEvento`` or ``infInut``; enveloped-signature and C14N transforms; SHA-1 digests; the
certificate in ``KeyInfo``), which signxml 4 refuses without overrides and erpbrasil.assinatura
pins old libraries for. Verified independently by ``xmlsec1`` in the tests.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

DSIG = "http://www.w3.org/2000/09/xmldsig#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


class CertificateProblem(Exception):
    """The certificate cannot sign: missing file, wrong password, not RSA, or expired."""


@dataclass(frozen=True)
class Certificate:
    """An A1 certificate: the private key and its X.509 certificate."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def not_after(self) -> datetime:
        return self.cert.not_valid_after_utc

    def sign_text(self, text: str) -> str:
        """RSA-SHA1 (PKCS#1 v1.5) of ``text`` in UTF-8, in Base64: the QR code v3 of a
        contingency note carries it."""
        raw = self.key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
        return base64.b64encode(raw).decode()

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption())


def load_certificate(path: str, password: str, now: datetime) -> Certificate:
    """The PKCS#12 file at ``path``; :class:`CertificateProblem` says why it cannot sign."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CertificateProblem(f"the certificate file cannot be read: {exc}") from exc
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(data, (password or "").encode())
    except ValueError as exc:
        raise CertificateProblem("the certificate's password is wrong or the file is not "
                                 "PKCS#12") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise CertificateProblem("the certificate must hold an RSA key and its certificate")
    if cert.not_valid_after_utc <= now:
        raise CertificateProblem(f"the certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    return Certificate(key, cert)


def _c14n(element: etree._Element) -> bytes:
    # A copy becomes a root holding the namespaces it inherits: lxml's C14N of an element
    # inside a tree whose default namespace is declared above it writes xmlns="" on its children.
    return etree.tostring(copy.deepcopy(element), method="c14n", exclusive=False,
                          with_comments=False)


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    child = etree.SubElement(parent, f"{{{DSIG}}}{tag}", **attrs)
    if text is not None:
        child.text = text
    return child


def sign(signed: etree._Element, certificate: Certificate) -> etree._Element:
    """Append a ``Signature`` to ``signed``'s parent (after it) over ``signed``'s ``Id``.

    ``signed`` (``infNFe`` …) must already be in its final tree: its canonical form includes the
    namespaces it inherits.
    """
    reference = signed.get("Id")
    digest = base64.b64encode(hashlib.sha1(_c14n(signed)).digest()).decode()  # noqa: S324
    parent = signed.getparent()
    signature = etree.Element(f"{{{DSIG}}}Signature", nsmap={None: DSIG})
    signed_info = _sub(signature, "SignedInfo")
    _sub(signed_info, "CanonicalizationMethod", Algorithm=C14N)
    _sub(signed_info, "SignatureMethod", Algorithm=RSA_SHA1)
    ref = _sub(signed_info, "Reference", URI=f"#{reference}")
    transforms = _sub(ref, "Transforms")
    _sub(transforms, "Transform", Algorithm=ENVELOPED)
    _sub(transforms, "Transform", Algorithm=C14N)
    _sub(ref, "DigestMethod", Algorithm=SHA1)
    _sub(ref, "DigestValue", digest)
    value = _sub(signature, "SignatureValue")
    key_info = _sub(signature, "KeyInfo")
    data = _sub(key_info, "X509Data")
    der = certificate.cert.public_bytes(serialization.Encoding.DER)
    _sub(data, "X509Certificate", base64.b64encode(der).decode())
    parent.append(signature)
    raw = certificate.key.sign(_c14n(signed_info), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    value.text = base64.b64encode(raw).decode()
    return signature
