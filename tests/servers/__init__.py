"""Real servers started by the test suite on 127.0.0.1 and stopped after: PostgreSQL,
Dovecot (IMAP) and aiosmtpd (SMTP). Each module is a pytest plugin of fixtures."""
