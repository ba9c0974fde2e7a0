"""LEARN: lectures with video and slides in sync."""
