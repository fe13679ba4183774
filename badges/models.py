"""Open Badges, PIX certifications and indicators are built here on top of cotraining."""
