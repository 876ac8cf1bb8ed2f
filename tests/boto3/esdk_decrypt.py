"""Decrypt custom sender codes with the AWS Encryption SDK for Python, as a function would.

Usage: esdk_decrypt.py PRIVATE_KEY_PEM KEY_NAME CIPHERTEXT_B64...
A raw RSA keyring in place of KMS: the master key's provider id is the key namespace
("portcullis"), its key id the key name (the pool's KMSKeyID ARN), RSA-OAEP with SHA-256 and
MGF1 SHA-256. Prints one JSON line per ciphertext: plaintext, encryption context, algorithm suite
id and message format version. Any failure exits non-zero.
"""

import base64
import json
import sys

import aws_encryption_sdk
from aws_encryption_sdk.identifiers import CommitmentPolicy, EncryptionKeyType, WrappingAlgorithm
from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
from aws_encryption_sdk.key_providers.raw import RawMasterKey


def main():
    pem_path, key_name, *ciphertexts = sys.argv[1:]
    with open(pem_path, "rb") as f:
        pem = f.read()
    key = RawMasterKey(
        provider_id="portcullis",
        key_id=key_name.encode(),
        wrapping_key=WrappingKey(
            wrapping_algorithm=WrappingAlgorithm.RSA_OAEP_SHA256_MGF1,
            wrapping_key=pem,
            wrapping_key_type=EncryptionKeyType.PRIVATE,
        ),
    )
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    for c in ciphertexts:
        plaintext, header = client.decrypt(source=base64.b64decode(c), key_provider=key)
        print(json.dumps({
            "plaintext": plaintext.decode(),
            "context": dict(header.encryption_context),
            "algorithm": header.algorithm.algorithm_id,
            "version": header.version.value,
        }))


if __name__ == "__main__":
    main()
