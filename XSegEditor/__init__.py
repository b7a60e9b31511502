"""XSegEditor package."""
