"""Figures of what a trained network computes (filters, feature maps)."""
