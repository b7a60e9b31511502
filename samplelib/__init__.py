"""samplelib package."""
