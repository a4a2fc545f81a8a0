"""One module per family; each builds a real nn.Module from its family's config."""
