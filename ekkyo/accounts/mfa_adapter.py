"""allauth MFA adapter: TOTP secrets are encrypted at rest (allauth stores them
in plain text by default)."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter

from ekkyo.crypto import decrypt_text, encrypt_text


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)
