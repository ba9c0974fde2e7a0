"""ARCHIVE: the moderated research-data repository (drafts, files, review, DOIs, versions)."""
