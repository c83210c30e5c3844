"""PatImg: multimodal search over patent drawings."""
