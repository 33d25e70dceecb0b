#!/usr/bin/python3
"""Compute uhc_reporting pseudonyms and key fingerprints independently of the C++ code.

This uses only Python's hmac, hashlib and uuid modules, with HKDF (RFC 5869) and
Crockford base32 written out here, so that its values can serve as expected results for
the C++ unit tests, the pg_regress test and docs/pseudonym.md.

    pseudonym_vectors.py                      print the published vectors
    pseudonym_vectors.py --key HEX --version 1 UHC 0f0e...   print one pseudonym per UUID
    pseudonym_vectors.py --key HEX --fingerprint             print the key fingerprint
"""
import argparse
import hashlib
import hmac
import sys
import uuid

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
INFO_LABEL = b"uhc_reporting pseudonym v1"
FINGERPRINT_LABEL = b"uhc_reporting key fingerprint"

# The key of the pg_regress cluster and of the published vector: bytes 0x00 to 0x1f.
TEST_KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
TEST_UUIDS = [
    "2b7a4a5e-9f1c-4c1e-8d3a-6f0b1e2d3c4b",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "123e4567-e89b-12d3-a456-426614174000",
]
TEST_CLIENTS = ["UHC", "AETNA_2"]


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """Derive length bytes with HKDF-SHA256 as RFC 5869 section 2 defines it."""
    if not salt:
        salt = b"\x00" * 32
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    output = b""
    block = b""
    counter = 1
    while len(output) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output += block
        counter += 1
    return output[:length]


def client_key(master_key: bytes, client_code: str, version: int) -> bytes:
    info = INFO_LABEL + b"\x00" + client_code.encode("utf-8") + b"\x00" + version.to_bytes(4, "big")
    return hkdf_sha256(master_key, b"", info, 32)


def crockford_base32_128(value: bytes) -> str:
    """Encode 16 bytes as 26 Crockford base32 digits, most significant first."""
    number = int.from_bytes(value, "big")
    digits = []
    for _ in range(26):
        digits.append(CROCKFORD[number & 31])
        number >>= 5
    return "".join(reversed(digits))


def pseudonym(master_key: bytes, client_code: str, version: int, patient: str) -> str:
    patient_bytes = uuid.UUID(patient).bytes
    mac = hmac.new(client_key(master_key, client_code, version), patient_bytes, hashlib.sha256).digest()
    return "P%d-%s" % (version, crockford_base32_128(mac[:16]))


def fingerprint(master_key: bytes) -> str:
    return hmac.new(master_key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()[:16]


def self_test() -> None:
    """Check hkdf_sha256 against RFC 5869 test case 3 and the base32 digits against int()."""
    okm = hkdf_sha256(b"\x0b" * 22, b"", b"", 42)
    expected = ("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                "9d201395faa4b61a96c8")
    if okm.hex() != expected:
        raise SystemExit("hkdf_sha256 does not match RFC 5869 test case 3")
    value = bytes(range(16))
    digits = crockford_base32_128(value)
    decoded = 0
    for digit in digits:
        decoded = decoded * 32 + CROCKFORD.index(digit)
    if len(digits) != 26 or decoded != int.from_bytes(value, "big"):
        raise SystemExit("crockford_base32_128 does not round-trip")


def print_published_vectors() -> None:
    key = bytes.fromhex(TEST_KEY_HEX)
    print("master key (version 1): %s" % TEST_KEY_HEX)
    print("fingerprint: %s" % fingerprint(key))
    for client in TEST_CLIENTS:
        print("client key %s v1: %s" % (client, client_key(key, client, 1).hex()))
        for patient in TEST_UUIDS:
            print("%s v1 %s -> %s" % (client, patient, pseudonym(key, client, 1, patient)))
    print("UHC v2 %s -> %s" % (TEST_UUIDS[0], pseudonym(key, "UHC", 2, TEST_UUIDS[0])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key", help="master key as 64 hex digits")
    parser.add_argument("--version", type=int, default=1, help="key version (default 1)")
    parser.add_argument("--fingerprint", action="store_true", help="print the key fingerprint")
    parser.add_argument("client", nargs="?", help="client code, e.g. UHC")
    parser.add_argument("uuids", nargs="*", help="patient UUIDs")
    args = parser.parse_args()
    self_test()

    if args.key is None:
        print_published_vectors()
        return 0
    key = bytes.fromhex(args.key)
    if len(key) != 32:
        parser.error("--key must be 64 hex digits")
    if args.fingerprint:
        print(fingerprint(key))
    if args.client:
        for patient in args.uuids:
            print(pseudonym(key, args.client, args.version, patient))
    return 0


if __name__ == "__main__":
    sys.exit(main())
