#!/usr/bin/env python3
"""Reads one Web Push request as the phone and its push service would, with implementations
independent of the server's: http_ece (RFC 8291 aes128gcm) decrypts the body, and the
`cryptography` package checks the VAPID token (RFC 8292) against the server's public key.

Input (stdin, JSON, bytes as base64url): {"private_key": the phone's P-256 scalar (32 bytes),
"auth": its 16-byte secret, "body": the request body, "authorization": the Authorization
header, "server_key": the key of GET /api/push/key}.
Output (stdout, JSON): {"message": the decrypted text, "claims": the token's claims,
"k": the key the header names}. Any failure exits non-zero.
"""

import base64
import json
import sys

import http_ece
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main():
    given = json.load(sys.stdin)
    phone = ec.derive_private_key(
        int.from_bytes(unb64(given["private_key"]), "big"), ec.SECP256R1()
    )
    message = http_ece.decrypt(
        unb64(given["body"]),
        private_key=phone,
        auth_secret=unb64(given["auth"]),
        version="aes128gcm",
    )

    # "vapid t=<jwt>, k=<key>"
    scheme, _, params = given["authorization"].partition(" ")
    if scheme != "vapid":
        sys.exit(f"authorization scheme {scheme!r}, not vapid")
    fields = dict(
        part.strip().split("=", 1) for part in params.split(",") if part.strip()
    )
    token, k = fields["t"], fields["k"]
    if k != given["server_key"]:
        sys.exit("the header's k is not the server's public key")
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64(header_b64))
    if header.get("alg") != "ES256":
        sys.exit(f"alg {header.get('alg')!r}")
    raw = unb64(signature_b64)
    if len(raw) != 64:
        sys.exit("an ES256 signature is 64 bytes")
    signature = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    server = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), unb64(given["server_key"])
    )
    # Raises InvalidSignature (non-zero exit) unless the server's key signed it.
    server.verify(
        signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256())
    )
    json.dump(
        {
            "message": message.decode("utf-8"),
            "claims": json.loads(unb64(claims_b64)),
            "k": k,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
