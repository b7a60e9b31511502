"""Face detection, landmarks, alignment and masks."""
