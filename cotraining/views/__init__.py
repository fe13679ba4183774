"""Public views of the co-training layer, one module per audience."""
