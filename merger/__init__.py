"""merger package."""
