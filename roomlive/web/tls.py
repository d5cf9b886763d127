"""HTTPS on the LAN: a certificate made on first run and kept in the data directory.

Tablets need a secure context for Wake Lock. The certificate is self-signed for this machine's
addresses and names; README explains how to trust it on iPad and Android.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_FILE = "roomlive-cert.pem"
KEY_FILE = "roomlive-key.pem"
VALID_DAYS = 825  # the longest validity Apple devices accept for a trusted certificate


def ensure_certificate(data_dir: Path, addresses: list[str]) -> tuple[Path, Path]:
    """(certificate, key) paths; made once, for these addresses, localhost and the host name."""
    cert_path, key_path = data_dir / CERT_FILE, data_dir / KEY_FILE
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    data_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"roomlive {socket.gethostname()}")])
    now = datetime.datetime.now(datetime.UTC)
    ips = {ipaddress.ip_address(a) for a in [*addresses, "127.0.0.1"]}
    names = {"localhost", socket.gethostname()}
    alternative = [x509.DNSName(n) for n in sorted(names)] + [
        x509.IPAddress(i) for i in sorted(ips, key=str)
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
