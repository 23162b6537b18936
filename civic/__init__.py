"""The civic core: what the three instruments share."""
