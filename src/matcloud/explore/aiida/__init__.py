"""Reading AiiDA archive files (aiida-core 2.x format; legacy exports through aiida-core)."""
