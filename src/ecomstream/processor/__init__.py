"""The micro-batch loop: validate, drop transport duplicates, aggregate, commit."""
