"""Two-factor authentication: authenticator apps (TOTP) and recovery codes, on the `auth` blueprint."""
