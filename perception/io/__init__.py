"""File formats the product reads and writes."""
