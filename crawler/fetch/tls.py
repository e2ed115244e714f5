"""What the crawler saw of a site's certificate, recorded on each capture over https.

Government certificates are often expired, self-signed or issued for another name; like Scrapy by default, the
crawler accepts them (DOWNLOAD_VERIFY_CERTIFICATES turns verification on). The capture then says what was wrong,
from the leaf certificate Scrapy keeps on the response: its validity dates, whether it names the host, whether it
signed itself. The chain up to a trusted root is not judged: Scrapy does not keep the intermediates the server sent.
"""
from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography import x509
from service_identity import CertificateError, VerificationError
from service_identity.cryptography import verify_certificate_hostname, verify_certificate_ip_address


def outcome(certificate: x509.Certificate | None, hostname: str, verified: bool,
            now: datetime | None = None) -> str:
    """"verified" when Scrapy verified the chain; otherwise "unverified: " and the leaf's problems (or "leaf ok")."""
    if verified:
        return "verified"
    if certificate is None:
        return "unverified: no certificate kept"
    now = now or datetime.now(UTC)
    problems = []
    if now > certificate.not_valid_after_utc:
        problems.append(f"expired {certificate.not_valid_after_utc:%Y-%m-%d}")
    elif now < certificate.not_valid_before_utc:
        problems.append(f"not valid before {certificate.not_valid_before_utc:%Y-%m-%d}")
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        address = None
    try:
        if address is None:
            verify_certificate_hostname(certificate, hostname)
        else:
            verify_certificate_ip_address(certificate, str(address))
    except (CertificateError, VerificationError):
        problems.append(f"issued for another name than {hostname}")
    if certificate.issuer == certificate.subject:
        problems.append("self-signed")
    return "unverified: " + ("; ".join(problems) or "leaf ok, chain not checked")


def response_outcome(response, verify_certificates: bool) -> str | None:
    """The outcome for a Scrapy response; None for plain http."""
    if not response.url.startswith("https://"):
        return None
    certificate = getattr(response, "certificate", None)
    leaf = certificate.original.to_cryptography() if certificate is not None else None
    return outcome(leaf, urlsplit(response.url).hostname or "", verify_certificates)
