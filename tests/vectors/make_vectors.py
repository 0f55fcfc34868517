#!/usr/bin/env python3
"""Known-answer vectors for `idp-admin import`, made by implementations independent of ours.

Prints a JSON list of {"format", "password", "hash", "weak", "source"}: every hash family the
import reads, each made here from a random salt by Python's hashlib (PBKDF2, scrypt, SHA-1/2,
MD5), crypt(3) from glibc through Python's `crypt` (sha-crypt), the `bcrypt` package (OpenBSD's
bcrypt) and `argon2-cffi` (the reference argon2 C code). The encodings (PHC strings, Django's,
LDAP's) are written here from their specifications, not by our code. `weak` is what
docs/passwords.md's floors say of each: the import must store those wrapped.
"""
import base64
import hashlib
import json
import os
import sys
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # glibc's crypt(3); deprecated in 3.11, still there

import argon2
import bcrypt


def b64(data: bytes) -> str:
    """PHC's B64: standard alphabet, no padding."""
    return base64.b64encode(data).decode().rstrip("=")


def pbkdf2_phc(name: str, digest: str, password: str, iterations: int) -> str:
    salt = os.urandom(16)
    dk = hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations)
    return f"${name}$i={iterations},l={len(dk)}${b64(salt)}${b64(dk)}"


def django(password: str, iterations: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    salt = "".join(alphabet[b % len(alphabet)] for b in os.urandom(22))
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(dk).decode()}"


def scrypt_phc(password: str, log_n: int, r: int, p: int) -> str:
    salt = os.urandom(16)
    dk = hashlib.scrypt(
        password.encode(), salt=salt, n=1 << log_n, r=r, p=p, maxmem=2**30, dklen=32
    )
    return f"$scrypt$ln={log_n},r={r},p={p}${b64(salt)}${b64(dk)}"


def ldap(scheme: str, digest: str, password: str, salted: bool) -> str:
    salt = os.urandom(8) if salted else b""
    dk = hashlib.new(digest, password.encode() + salt).digest()
    return scheme + base64.b64encode(dk + salt).decode()


def sha_crypt(prefix: str, password: str, rounds: int | None) -> str:
    alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    salt = "".join(alphabet[b % 64] for b in os.urandom(16))
    setting = f"{prefix}rounds={rounds}${salt}" if rounds else f"{prefix}{salt}"
    return crypt.crypt(password, setting)


def argon2_phc(kind, memory_kib: int, time_cost: int) -> str:
    hasher = argon2.PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=1, type=kind
    )
    return hasher.hash(PASSWORDS[0])


def bcrypt_hash(password: str, cost: int, prefix: bytes) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost, prefix=prefix)).decode()


PASSWORDS = [
    "correct horse battery staple",
    "contraseña ñandú 1234",  # non-ASCII: the bytes hashed are UTF-8
]


def vectors():
    out = []

    def add(fmt, password, hash_, weak, source):
        out.append(
            {"format": fmt, "password": password, "hash": hash_, "weak": weak, "source": source}
        )

    pw, pw2 = PASSWORDS
    t = argon2.Type
    add("argon2id", pw, argon2_phc(t.ID, 19456, 2), False, "argon2-cffi")
    add("argon2id (below OWASP)", pw, argon2_phc(t.ID, 4096, 3), True, "argon2-cffi")
    add("argon2i", pw, argon2_phc(t.I, 19456, 2), False, "argon2-cffi")
    add("argon2d", pw, argon2_phc(t.D, 19456, 2), False, "argon2-cffi")
    add("bcrypt $2b$", pw, bcrypt_hash(pw, 10, b"2b"), False, "bcrypt (pyca)")
    add("bcrypt $2a$ cost 4", pw2, bcrypt_hash(pw2, 4, b"2a"), True, "bcrypt (pyca)")
    # PHP's $2y$ is the same algorithm under another prefix (pyca/bcrypt does not write it).
    y = bcrypt_hash(pw, 10, b"2b").replace("$2b$", "$2y$", 1)
    add("bcrypt $2y$", pw, y, False, "bcrypt (pyca), prefix as PHP writes it")
    add("pbkdf2-sha256", pw, pbkdf2_phc("pbkdf2-sha256", "sha256", pw, 600_000), False, "hashlib")
    add("pbkdf2-sha256 (1000)", pw2, pbkdf2_phc("pbkdf2-sha256", "sha256", pw2, 1000), True, "hashlib")
    add("pbkdf2-sha512", pw, pbkdf2_phc("pbkdf2-sha512", "sha512", pw, 210_000), False, "hashlib")
    add("django pbkdf2_sha256", pw, django(pw, 870_000), False, "hashlib, Django's encoding")
    add("django pbkdf2_sha256 (260000)", pw2, django(pw2, 260_000), True, "hashlib, Django's encoding")
    add("scrypt", pw, scrypt_phc(pw, 17, 8, 1), False, "hashlib (OpenSSL)")
    add("scrypt (ln=14)", pw2, scrypt_phc(pw2, 14, 8, 1), True, "hashlib (OpenSSL)")
    add("sha512-crypt", pw, sha_crypt("$6$", pw, None), True, "glibc crypt(3)")
    add("sha512-crypt rounds=500000", pw, sha_crypt("$6$", pw, 500_000), False, "glibc crypt(3)")
    add("sha256-crypt", pw2, sha_crypt("$5$", pw2, None), True, "glibc crypt(3)")
    add("{SSHA}", pw, ldap("{SSHA}", "sha1", pw, True), True, "hashlib, RFC 2307 encoding")
    add("{SSHA256}", pw2, ldap("{SSHA256}", "sha256", pw2, True), True, "hashlib")
    add("{SSHA512}", pw, ldap("{SSHA512}", "sha512", pw, True), True, "hashlib")
    add("{SHA}", pw, ldap("{SHA}", "sha1", pw, False), True, "hashlib")
    add("{SMD5}", pw, ldap("{SMD5}", "md5", pw, True), True, "hashlib")
    add("{MD5}", pw2, ldap("{MD5}", "md5", pw2, False), True, "hashlib")
    return out


if __name__ == "__main__":
    json.dump(vectors(), sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
