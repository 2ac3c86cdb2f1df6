"""The local backend: files in, files out, SMTP on loopback, a SQLite ledger."""
