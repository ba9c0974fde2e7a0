"""WORK: tools that give an immediate result in the browser (SeeK-path, the structure
inspector, ...), each with a JSON API and shareable result URLs."""
