"""EXPLORE: the provenance graph inside published AiiDA archives, browsable from the file."""
