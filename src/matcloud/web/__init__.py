"""The web shell: templates, static files, security, error mapping and the pages every section
shares (home, section indexes, sign-in, account, admin, health and metrics)."""
