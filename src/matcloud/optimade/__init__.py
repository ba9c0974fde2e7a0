"""OPTIMADE: one standard API over every crystal structure the platform holds."""
