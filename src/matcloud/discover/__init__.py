"""DISCOVER: curated, interactive sections built from published data, declared in YAML."""
